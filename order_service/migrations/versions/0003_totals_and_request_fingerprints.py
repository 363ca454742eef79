"""totals as large as the order limits allow; the fingerprint of the request that placed an order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.alter_column("orders", "total", type_=sa.Numeric(14, 2), existing_type=sa.Numeric(12, 2))
    op.add_column("orders", sa.Column("request_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("orders", "request_fingerprint")
    op.alter_column("orders", "total", type_=sa.Numeric(12, 2), existing_type=sa.Numeric(14, 2))
