"""A reservation's statuses: words of the inventory service's contract (``events``) and its rules (``domain``). No
imports."""

RESERVED = "reserved"  # stock is held for the order
REFUSED = "refused"  # some line could not be covered; nothing is held
RELEASED = "released"  # held stock went back, or the order was cancelled first
SOLD = "sold"  # the order shipped; the held stock left the warehouse
