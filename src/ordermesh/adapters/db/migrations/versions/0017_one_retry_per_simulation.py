"""A failed sandbox run is retried once: a unique index on `retry_of`, so two retries of one run (a double
click, a client retrying its POST) cannot both queue a run; the second is told of the first.

Runs retried more than once before this revision keep their first retry (the lowest id) as the retry; the
later ones stay, as runs of their own.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 22:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE sourcing_simulations SET retry_of = NULL WHERE retry_of IS NOT NULL AND id NOT IN "
        "(SELECT first_id FROM (SELECT min(id) AS first_id FROM sourcing_simulations "
        "WHERE retry_of IS NOT NULL GROUP BY retry_of) AS firsts)"
    )
    with op.batch_alter_table("sourcing_simulations", schema=None) as batch_op:
        batch_op.create_index("ux_sourcing_simulations_retry_of", ["retry_of"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("sourcing_simulations", schema=None) as batch_op:
        batch_op.drop_index("ux_sourcing_simulations_retry_of")
