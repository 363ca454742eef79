"""claim emails before sending

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("sent_emails", sa.Column("claim_token", sa.String(length=32), nullable=True))
    op.add_column("sent_emails", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE sent_emails SET claimed_at = sent_at")
    op.alter_column("sent_emails", "claimed_at", nullable=False)
    op.alter_column("sent_emails", "sent_at", existing_type=postgresql.TIMESTAMP(timezone=True), nullable=True)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DELETE FROM sent_emails WHERE sent_at IS NULL")
    op.alter_column("sent_emails", "sent_at", existing_type=postgresql.TIMESTAMP(timezone=True), nullable=False)
    op.drop_column("sent_emails", "claimed_at")
    op.drop_column("sent_emails", "claim_token")
