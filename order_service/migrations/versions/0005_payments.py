"""orders paid for: currency, payment method, the copy of the payment, refunded status

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 14:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "('pending', 'confirmed', 'rejected', 'cancelled', 'shipped')"
NEW_STATUSES = "('pending', 'confirmed', 'rejected', 'cancelled', 'shipped', 'refunded')"


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("orders", sa.Column("currency", sa.String(length=3), nullable=False, server_default="EUR"))
    op.alter_column("orders", "currency", server_default=None)
    op.add_column("orders", sa.Column("payment_method", sa.String(length=255), nullable=True))
    op.add_column("orders", sa.Column("payment_status", sa.String(length=16), nullable=True))
    op.add_column("orders", sa.Column("payment_reference", sa.String(length=255), nullable=True))
    op.add_column("orders", sa.Column("payment_refunded", sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column("orders", sa.Column("payment_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint("orders_status_known", "orders", type_="check")
    op.create_check_constraint("orders_status_known", "orders", f"status IN {NEW_STATUSES}")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint("orders_status_known", "orders", type_="check")
    op.create_check_constraint("orders_status_known", "orders", f"status IN {OLD_STATUSES}")
    op.drop_column("orders", "payment_updated_at")
    op.drop_column("orders", "payment_refunded")
    op.drop_column("orders", "payment_reference")
    op.drop_column("orders", "payment_status")
    op.drop_column("orders", "payment_method")
    op.drop_column("orders", "currency")
