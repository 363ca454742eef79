"""orders placed by accounts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:17:45.673394

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("orders", sa.Column("customer_id", sa.String(length=64), nullable=True))
    op.create_index("orders_customer_id_created_at", "orders", ["customer_id", "created_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("orders_customer_id_created_at", table_name="orders")
    op.drop_column("orders", "customer_id")
