"""Channel status pushes: API credentials per channel and one queued push per (channel, event).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WAITING = "status IN ('pending', 'failed')"


def upgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_credentials", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    op.create_table(
        "channel_pushes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("update", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_pushes")),
        sa.UniqueConstraint("channel", "event_id", name="uq_channel_pushes_channel_event_id"),
    )
    with op.batch_alter_table("channel_pushes", schema=None) as batch_op:
        batch_op.create_index("ix_channel_pushes_channel", ["channel", "id"], unique=False)
        batch_op.create_index("ix_channel_pushes_queue", ["channel", "order_id", "id"], unique=False)
        batch_op.create_index(
            "ix_channel_pushes_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text(_WAITING),
            sqlite_where=sa.text(_WAITING),
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_pushes", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_pushes_due")
        batch_op.drop_index("ix_channel_pushes_queue")
        batch_op.drop_index("ix_channel_pushes_channel")
    op.drop_table("channel_pushes")
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("api_credentials")
