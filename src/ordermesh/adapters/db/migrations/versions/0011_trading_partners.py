"""Trading partners (WMS, 3PL, drop-ship vendors, ERP), their control numbers, and every EDI document in and out.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("protocol", sa.String(length=10), nullable=False),
        sa.Column("x12", sa.JSON(), nullable=True),
        sa.Column("transport", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("locations", sa.JSON(), nullable=False),
        sa.Column("identity", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("identity", name="uq_partners_identity"),
    )
    op.create_table(
        "edi_control_numbers",
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("interchange", sa.Integer(), nullable=False),
        sa.Column("group_number", sa.Integer(), nullable=False),
        sa.Column("set_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_edi_control_numbers")),
    )
    op.create_table(
        "edi_documents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("control_number", sa.String(length=20), nullable=True),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("fulfillment_order_id", sa.String(length=40), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("parsed", sa.JSON(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("acknowledgement_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edi_documents")),
        sa.UniqueConstraint("partner_id", "direction", "dedupe_key", name="uq_edi_documents_dedupe"),
    )
    with op.batch_alter_table("edi_documents", schema=None) as batch_op:
        batch_op.create_index("ix_edi_documents_listing", ["direction", "type", "status", "id"], unique=False)
        batch_op.create_index("ix_edi_documents_fulfillment_order", ["fulfillment_order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("edi_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_edi_documents_fulfillment_order")
        batch_op.drop_index("ix_edi_documents_listing")
    op.drop_table("edi_documents")
    op.drop_table("edi_control_numbers")
    op.drop_table("partners")
