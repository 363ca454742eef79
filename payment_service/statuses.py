"""A payment's statuses: words of the payments service's contract (``events``) and its rules (``domain``).
No imports."""

AUTHORISING = "authorising"
AUTHORISED = "authorised"
CAPTURED = "captured"
VOIDED = "voided"
REFUNDED = "refunded"
DECLINED = "declined"
FAILED = "failed"

STATUSES = (AUTHORISING, AUTHORISED, CAPTURED, VOIDED, REFUNDED, DECLINED, FAILED)
