"""An order's statuses: words of the orders service's contract (``events``) and its rules (``domain``). No imports."""

PENDING = "pending"
CONFIRMED = "confirmed"
REJECTED = "rejected"
CANCELLED = "cancelled"
SHIPPED = "shipped"
DELIVERED = "delivered"
REFUNDED = "refunded"

STATUSES = (PENDING, CONFIRMED, REJECTED, CANCELLED, SHIPPED, DELIVERED, REFUNDED)
