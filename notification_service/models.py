"""The record of emails sent, in the notifications database alone."""

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shop_common.persistence.models import UtcDateTime


class Base(DeclarativeBase):
    pass


class SentEmail(Base):
    """One row per email, claimed before it is sent (see ``notices``); ``sent_at`` is set once it left.

    An email is about one thing (``regarding_id``: an order, an account) and of one ``kind`` (the order's
    outcome, a welcome): one of each at most.
    """

    __tablename__ = "sent_emails"
    __table_args__ = (
        UniqueConstraint("event_id", name="sent_emails_event_id_key"),
        UniqueConstraint("regarding_id", "kind", name="sent_emails_regarding_id_kind_key"),
        Index("sent_emails_customer_email_sent_at", "customer_email", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    regarding_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    customer_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[object] = mapped_column(UtcDateTime)
    sent_at: Mapped[object | None] = mapped_column(UtcDateTime)
