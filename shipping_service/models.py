"""How shipments and rates are stored: the shipping database belongs to this service alone."""

from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shipping_service.statuses import STATUSES
from shop_common.persistence.models import OutboxMessageMixin, ProcessedEventMixin, UtcDateTime
from shop_common.vocabulary.clock import utc_now

Money = Numeric(12, 2)


class Base(DeclarativeBase):
    pass


class Shipment(Base):
    """One order's parcel: where it goes, and what became of it. One row per order, ever."""

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="shipments_status_known"),
        Index("shipments_status_created_at", "status", "created_at", "order_id"),
    )

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    # As the order holds it; null on a shipment cancelled before it was opened (its order ended first).
    shipping_address: Mapped[dict | None] = mapped_column(JSONB)
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100), unique=True)
    dispatched_at: Mapped[object | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[object | None] = mapped_column(UtcDateTime)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)


class ZoneCountry(Base):
    """The zone each country the shop ships to is priced in."""

    __tablename__ = "zone_countries"

    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    zone: Mapped[str] = mapped_column(String(32))


class RateBand(Base):
    """What a parcel of a zone costs, up to a weight."""

    __tablename__ = "rate_bands"
    __table_args__ = (CheckConstraint("up_to_grams > 0 AND cost >= 0", name="rate_bands_positive"),)

    zone: Mapped[str] = mapped_column(String(32), primary_key=True)
    up_to_grams: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cost: Mapped[Decimal] = mapped_column(Money)


class ProductWeight(Base):
    """The catalogue's weight of a product, as the inventory service told it (``product_weighed``)."""

    __tablename__ = "product_weights"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    weight_grams: Mapped[int] = mapped_column(Integer)
    weighed_at: Mapped[object] = mapped_column(UtcDateTime)


class ProcessedEvent(ProcessedEventMixin, Base):
    """Orders' events and carriers' updates applied (their ids)."""


class OutboxMessage(OutboxMessageMixin, Base):
    pass
