"""emails regarding orders or accounts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.alter_column("sent_emails", "order_id", new_column_name="regarding_id")
    op.execute(
        "ALTER TABLE sent_emails RENAME CONSTRAINT sent_emails_order_id_kind_key TO sent_emails_regarding_id_kind_key"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute(
        "ALTER TABLE sent_emails RENAME CONSTRAINT sent_emails_regarding_id_kind_key TO sent_emails_order_id_kind_key"
    )
    op.alter_column("sent_emails", "regarding_id", new_column_name="order_id")
