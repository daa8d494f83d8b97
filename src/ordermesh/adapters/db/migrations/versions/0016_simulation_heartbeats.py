"""Sandbox runs record the process holding them and its heartbeat, so a run whose process stopped is failed as
abandoned instead of staying queued or running for ever; with the progress made and the run a retry repeats.

Runs stored before this revision have no heartbeat: those still queued or running get their creation time as
one, so the first sweep after the upgrade fails them (their process is the one the upgrade restarted).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sourcing_simulations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("plans_made", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("plans_to_make", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retry_of", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_sourcing_simulations_heartbeat", ["status", "heartbeat_at"], unique=False)
    op.execute(
        "UPDATE sourcing_simulations SET heartbeat_at = created_at WHERE status IN ('queued', 'running')"
    )


def downgrade() -> None:
    with op.batch_alter_table("sourcing_simulations", schema=None) as batch_op:
        batch_op.drop_index("ix_sourcing_simulations_heartbeat")
        batch_op.drop_column("retry_of")
        batch_op.drop_column("plans_to_make")
        batch_op.drop_column("plans_made")
        batch_op.drop_column("started_at")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("runner")
