"""Persistence pieces each service's models reuse."""

from sqlalchemy import BigInteger, DateTime, Identity, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shop_common.vocabulary.clock import utc_now

UtcDateTime = DateTime(timezone=True)


class ProcessedEventMixin:
    """Event ids a service has already handled, written with the handler's effect."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)


class OutboxMessageMixin:
    """An event waiting to be published (``published_at`` is null) or already published."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSONB)
    headers: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)
    published_at: Mapped[object | None] = mapped_column(UtcDateTime)

    @declared_attr.directive
    def __table_args__(cls):
        return (Index("outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),)


def first_delivery(session, processed_event_model, event_id):
    """Record ``event_id`` as handled; False when it was handled before.

    When another transaction is handling the same event right now, PostgreSQL
    makes this wait for it, so two instances never both see a first delivery.
    """
    inserted = session.execute(
        insert(processed_event_model)
        .values(event_id=event_id, processed_at=utc_now())
        .on_conflict_do_nothing()
        .returning(processed_event_model.event_id)
    ).first()
    return inserted is not None


def first_deliveries(session, processed_event_model, event_ids):
    """Record every id of ``event_ids`` in one statement; the set of those not handled before (waiting, as
    ``first_delivery`` does, for another transaction handling one of them now)."""
    ids = sorted(set(event_ids))  # in one order: two batches sharing ids never wait on each other in a circle
    if not ids:
        return set()
    now = utc_now()
    return set(
        session.scalars(
            insert(processed_event_model)
            .values([{"event_id": event_id, "processed_at": now} for event_id in ids])
            .on_conflict_do_nothing()
            .returning(processed_event_model.event_id)
        )
    )
