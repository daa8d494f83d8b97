"""Rule-set activation history, so that each roll back goes one activation further back.

Existing databases get one activation per version that was ever active: the archived ones in the
order they were archived, then the active one, so the next roll back restores what it restored before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sourcing_rule_set_activations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("rule_set_id", sa.String(length=40), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rolled_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["sourcing_rule_sets.id"],
            name=op.f("fk_sourcing_rule_set_activations_rule_set_id_sourcing_rule_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sourcing_rule_set_activations")),
    )
    op.execute(
        "INSERT INTO sourcing_rule_set_activations (rule_set_id, activated_at) "
        "SELECT id, activated_at FROM sourcing_rule_sets WHERE activated_at IS NOT NULL "
        "ORDER BY CASE WHEN status = 'active' THEN 1 ELSE 0 END, COALESCE(archived_at, activated_at), id"
    )


def downgrade() -> None:
    op.drop_table("sourcing_rule_set_activations")
