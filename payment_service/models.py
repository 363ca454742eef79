"""How payments are stored: the payments database belongs to this service alone."""

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from payment_service.statuses import STATUSES
from shop_common.persistence.models import OutboxMessageMixin, ProcessedEventMixin, UtcDateTime
from shop_common.vocabulary.clock import utc_now

Amount = Numeric(14, 2)  # as the orders database holds a total


class Base(DeclarativeBase):
    pass


class Payment(Base):
    """One order's payment: at most one authorisation at the provider (``reference``) ever holds money for it."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="payments_status_known"),
        CheckConstraint("refunded >= 0 AND refunded <= amount", name="payments_refunds_within_amount"),
    )

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    # What was asked for; null on a payment voided before it was (its order ended first).
    amount: Mapped[Decimal | None] = mapped_column(Amount)
    currency: Mapped[str | None] = mapped_column(String(3))
    payment_method: Mapped[str | None] = mapped_column(String(255))  # the provider's id (pm_...), never a card
    reference: Mapped[str | None] = mapped_column(String(255), unique=True)  # the provider's PaymentIntent id
    decline_code: Mapped[str | None] = mapped_column(String(64))
    refunded: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0"))
    requested_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)

    refunds: Mapped[list["Refund"]] = relationship(order_by="Refund.created_at", lazy="selectin")


class Refund(Base):
    """Money given back at the provider, by the shop or in the provider's dashboard: each provider refund once."""

    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # the provider's (re_...)
    order_id: Mapped[str] = mapped_column(ForeignKey("payments.order_id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)


class ProcessedEvent(ProcessedEventMixin, Base):
    """The provider's webhook events applied (their ids)."""


class OutboxMessage(OutboxMessageMixin, Base):
    pass
