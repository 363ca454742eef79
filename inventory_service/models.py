"""How the catalogue and reservations are stored, in the inventory database alone."""

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shop_common.persistence.models import OutboxMessageMixin, ProcessedEventMixin, UtcDateTime
from shop_common.vocabulary.clock import utc_now

Money = Numeric(12, 2)


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="products_stock_not_negative"),
        CheckConstraint("price > 0", name="products_price_positive"),
        CheckConstraint("weight_grams > 0", name="products_weight_positive"),
    )

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[object] = mapped_column(Money)
    stock: Mapped[int] = mapped_column(Integer)
    weight_grams: Mapped[int | None] = mapped_column(Integer)  # of one unit; null: not weighed (made before)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)


class Reservation(Base):
    """What inventory decided for one order; one row per order, ever."""

    __tablename__ = "reservations"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)

    lines: Mapped[list["ReservationLine"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ReservationLine.sku"
    )

    shortages = ()  # not stored: what was short, on a reservation refused just now (for its event)


class ReservationLine(Base):
    __tablename__ = "reservation_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="reservation_lines_quantity_positive"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("reservations.order_id", ondelete="CASCADE"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[object] = mapped_column(Money)


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass
