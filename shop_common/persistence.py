"""Persistence pieces each service's models reuse."""

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from shop_common.clock import utc_now

UtcDateTime = DateTime(timezone=True)


class ProcessedEventMixin:
    """Event ids a service has already handled, written with the handler's effect."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[object] = mapped_column(UtcDateTime, default=utc_now)


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
