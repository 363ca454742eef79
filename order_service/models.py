"""How orders are stored: the orders database belongs to this service alone."""

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from order_service.statuses import CONFIRMED, STATUSES
from shipping_service import events as shipping_events
from shop_common.persistence.models import OutboxMessageMixin, ProcessedEventMixin, UtcDateTime
from shop_common.vocabulary.clock import utc_now

Money = Numeric(12, 2)  # a unit price: at most 1,000,000.00
Total = Numeric(14, 2)  # up to 100 lines x 1,000 x 1,000,000.00 = 100,000,000,000.00


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="orders_status_known"),
        Index("orders_customer_email_created_at", "customer_email", "created_at"),
        Index("orders_status_created_at", "status", "created_at"),
        Index("orders_customer_id_created_at", "customer_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))  # the account that placed it
    customer_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))  # of the request that placed it
    total: Mapped[object | None] = mapped_column(Total)  # the lines and their shipping: what the payment holds
    # Where it goes (normalised) and what that costs, as the customer accepted them (null on orders from before).
    shipping_address: Mapped[dict | None] = mapped_column(JSONB)
    shipping_cost: Mapped[object | None] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str | None] = mapped_column(String(255))  # the provider's id (pm_...), never a card
    # The order's payment as the payments service last told it (its events); status null while none was tried.
    payment_status: Mapped[str | None] = mapped_column(String(16))
    payment_reference: Mapped[str | None] = mapped_column(String(255))
    payment_refunded: Mapped[object | None] = mapped_column(Total)
    payment_updated_at: Mapped[object | None] = mapped_column(UtcDateTime)  # of the copy: an older word is ignored
    # The order's shipment as the shipping service last told it; status null until it is dispatched.
    shipment_status: Mapped[str | None] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    dispatched_at: Mapped[object | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[object | None] = mapped_column(UtcDateTime)
    shipment_updated_at: Mapped[object | None] = mapped_column(UtcDateTime)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order",
        order_by="OrderLine.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    @property
    def payment(self):
        """``{status, amount, currency, reference, refunded}``; None while no payment was tried."""
        if self.payment_status is None:
            return None
        return {
            "status": self.payment_status,
            "amount": self.total,
            "currency": self.currency,
            "reference": self.payment_reference,
            "refunded": self.payment_refunded,
        }

    @property
    def shipment(self):
        """``{status, carrier, tracking_number, dispatched_at, delivered_at}``: awaiting dispatch once confirmed,
        then as the shipping service told it; None before (and for an order that ended unshipped)."""
        status = self.shipment_status or (shipping_events.AWAITING_DISPATCH if self.status == CONFIRMED else None)
        if status is None:
            return None
        return {
            "status": status,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "dispatched_at": self.dispatched_at,
            "delivered_at": self.delivered_at,
        }

    @property
    def items_total(self):
        """The priced lines alone; None while pending."""
        return None if self.total is None else self.total - (self.shipping_cost or 0)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="order_lines_quantity_positive"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[object | None] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="lines")


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass
