"""products' weights: what shipping is priced by (null for a product made before, until staff weigh it)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 17:40:00

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
    op.add_column("products", sa.Column("weight_grams", sa.Integer(), nullable=True))
    op.create_check_constraint("products_weight_positive", "products", "weight_grams > 0")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint("products_weight_positive", "products", type_="check")
    op.drop_column("products", "weight_grams")
