"""orders shipped somewhere: the address and shipping cost accepted, the copy of the shipment, delivered status

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 17:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "('pending', 'confirmed', 'rejected', 'cancelled', 'shipped', 'refunded')"
NEW_STATUSES = "('pending', 'confirmed', 'rejected', 'cancelled', 'shipped', 'delivered', 'refunded')"
SHIPMENT_COLUMNS = (
    "shipment_status",
    "carrier",
    "tracking_number",
    "dispatched_at",
    "delivered_at",
    "shipment_updated_at",
)


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("orders", sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("orders", sa.Column("shipping_cost", sa.Numeric(precision=12, scale=2), nullable=True))
    op.add_column("orders", sa.Column("shipment_status", sa.String(length=20), nullable=True))
    op.add_column("orders", sa.Column("carrier", sa.String(length=100), nullable=True))
    op.add_column("orders", sa.Column("tracking_number", sa.String(length=100), nullable=True))
    op.add_column("orders", sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("shipment_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint("orders_status_known", "orders", type_="check")
    op.create_check_constraint("orders_status_known", "orders", f"status IN {NEW_STATUSES}")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint("orders_status_known", "orders", type_="check")
    op.create_check_constraint("orders_status_known", "orders", f"status IN {OLD_STATUSES}")
    for column in (*SHIPMENT_COLUMNS, "shipping_cost", "shipping_address"):
        op.drop_column("orders", column)
