"""The sourcing engine: rule sets, stored decisions, location sourcing profiles and daily capacity.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "location_capacity",
        sa.Column("location_code", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.CheckConstraint("orders >= 0 AND units >= 0", name=op.f("ck_location_capacity_usage_not_negative")),
        sa.PrimaryKeyConstraint("location_code", "day", name=op.f("pk_location_capacity")),
    )
    op.create_table(
        "sourcing_decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("rule_set_id", sa.String(length=40), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sourcing_decisions")),
    )
    with op.batch_alter_table("sourcing_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_sourcing_decisions_order", ["order_id", "id"], unique=False)

    op.create_table(
        "sourcing_rule_sets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sourcing_rule_sets")),
        sa.UniqueConstraint("name", "version", name="uq_sourcing_rule_sets_name_version"),
    )
    with op.batch_alter_table("sourcing_rule_sets", schema=None) as batch_op:
        batch_op.create_index(
            "uq_sourcing_rule_sets_one_active",
            ["status"],
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("groups", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("tags", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False))
        batch_op.add_column(sa.Column("cutoff", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("processing_days", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("daily_order_capacity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("daily_unit_capacity", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("daily_unit_capacity")
        batch_op.drop_column("daily_order_capacity")
        batch_op.drop_column("processing_days")
        batch_op.drop_column("cutoff")
        batch_op.drop_column("timezone")
        batch_op.drop_column("tags")
        batch_op.drop_column("groups")

    with op.batch_alter_table("sourcing_rule_sets", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sourcing_rule_sets_one_active",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    op.drop_table("sourcing_rule_sets")
    with op.batch_alter_table("sourcing_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_sourcing_decisions_order")

    op.drop_table("sourcing_decisions")
    op.drop_table("location_capacity")
