"""initial schema: shipments, the rate table (seeded), the products' weights, the events applied, the outbox

Revision ID: 0001
Revises:
Create Date: 2026-12-06 17:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rates the shop starts with (EUR; staff replace them with ``replace_rates``): the EU, the rest of Europe it
# ships to, the world; each zone by weight bands up to 2 kg, 10 kg and 31.5 kg (what a parcel carrier takes).
EU = (
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
)
ZONES = {**dict.fromkeys(EU, "EU"), "GB": "EUROPE", "CH": "EUROPE", "NO": "EUROPE", "US": "WORLD"}
BANDS = {"EU": ("4.90", "9.90", "16.90"), "EUROPE": ("9.90", "19.90", "34.90"), "WORLD": ("14.90", "29.90", "59.90")}
WEIGHTS = (2000, 10000, 31500)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "shipments",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('awaiting_dispatch', 'dispatched', 'delivered', 'cancelled')", name="shipments_status_known"
        ),
        sa.PrimaryKeyConstraint("order_id"),
        sa.UniqueConstraint("tracking_number"),
    )
    op.create_index("shipments_status_created_at", "shipments", ["status", "created_at", "order_id"], unique=False)
    zone_countries = op.create_table(
        "zone_countries",
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("country_code"),
    )
    rate_bands = op.create_table(
        "rate_bands",
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("up_to_grams", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("up_to_grams > 0 AND cost >= 0", name="rate_bands_positive"),
        sa.PrimaryKeyConstraint("zone", "up_to_grams"),
    )
    op.create_table(
        "product_weights",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("weighed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku"),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "outbox_unpublished", "outbox", ["id"], unique=False, postgresql_where=sa.text("published_at IS NULL")
    )
    op.bulk_insert(zone_countries, [{"country_code": country, "zone": zone} for country, zone in ZONES.items()])
    op.bulk_insert(
        rate_bands,
        [
            {"zone": zone, "up_to_grams": grams, "cost": cost}
            for zone, costs in BANDS.items()
            for grams, cost in zip(WEIGHTS, costs, strict=True)
        ],
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("outbox_unpublished", table_name="outbox", postgresql_where=sa.text("published_at IS NULL"))
    op.drop_table("outbox")
    op.drop_table("processed_events")
    op.drop_table("product_weights")
    op.drop_table("rate_bands")
    op.drop_table("zone_countries")
    op.drop_index("shipments_status_created_at", table_name="shipments")
    op.drop_table("shipments")
