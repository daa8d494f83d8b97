"""An index on EDI documents by partner, direction, type and reference: the check that a 945's shipment id or a
944's receipt id was applied before reads it for every inbound document (it scanned the log).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 19:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("edi_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_edi_documents_reference", ["partner_id", "direction", "type", "reference"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("edi_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_edi_documents_reference")
