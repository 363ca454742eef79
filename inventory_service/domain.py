"""Stock rules: when a reservation can be made. Plain Python, no I/O.

A reservation is all or nothing: it is made only when every line is covered.
"""

RESERVED = "reserved"    # stock is held for the order
REFUSED = "refused"      # some line could not be covered; nothing is held
RELEASED = "released"    # held stock went back, or the order was cancelled first
SOLD = "sold"            # the order shipped; the held stock left the warehouse


def find_shortages(available_by_sku, lines):
    """Lines that stock cannot cover, as ``{sku, requested, available}``.

    ``available_by_sku`` has no key for an unknown sku; its available is 0.
    """
    return [
        {"sku": line["sku"], "requested": line["quantity"],
         "available": available_by_sku.get(line["sku"], 0)}
        for line in lines
        if line["quantity"] > available_by_sku.get(line["sku"], 0)
    ]


def describe_shortages(shortages, known_skus):
    parts = []
    for shortage in shortages:
        if shortage["sku"] not in known_skus:
            parts.append(f"{shortage['sku']}: unknown product")
        else:
            parts.append(
                f"{shortage['sku']}: {shortage['requested']} requested, {shortage['available']} available"
            )
    return "insufficient stock (" + "; ".join(parts) + ")"
