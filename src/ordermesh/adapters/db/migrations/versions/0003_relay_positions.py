"""Relays tail the outbox from a saved position instead of marking every event published.

Marking each event rewrote every outbox row once more (and every index on it); a relay position is
one row per relay. Lines waiting for stock get a partial index, so most line writes skip it.
On PostgreSQL stock pages keep free room, so a reservation (which changes no indexed column)
can update its row in place (a HOT update) instead of writing new index entries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_positions",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("cursor", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_relay_positions")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outbox_event_id", type_="unique")
        batch_op.drop_column("published_at")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_sku_backordered")
        batch_op.create_index(
            "ix_order_lines_backordered_sku",
            ["sku"],
            unique=False,
            postgresql_where=sa.text("backordered > 0"),
            sqlite_where=sa.text("backordered > 0"),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE stock SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE stock RESET (fillfactor)")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_backordered_sku")
        batch_op.create_index("ix_order_lines_sku_backordered", ["sku", "backordered"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_outbox_event_id", ["event_id"])
    op.drop_table("relay_positions")
