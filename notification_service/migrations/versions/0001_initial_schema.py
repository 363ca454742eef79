"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "sent_emails",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("customer_email", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", name="sent_emails_event_id_key"),
        sa.UniqueConstraint("order_id", "kind", name="sent_emails_order_id_kind_key"),
    )
    op.create_index("sent_emails_customer_email_sent_at", "sent_emails", ["customer_email", "sent_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("sent_emails_customer_email_sent_at", table_name="sent_emails")
    op.drop_table("sent_emails")
