"""PostgreSQL: reserve all of an order's stock rows in one round trip, in (location, SKU) order.

Each reservation is the same conditional update as on SQLite; the function runs them in a fixed
order (so concurrent orders lock rows in the same order) and, if one row lacks the units, gives back
the ones it took and answers false: all or nothing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 11:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RESERVE_ALL = """
CREATE OR REPLACE FUNCTION ordermesh_reserve_all(wanted json) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    taken integer;
BEGIN
    FOR r IN
        SELECT w.location_code, w.sku, w.quantity
        FROM json_to_recordset(wanted) AS w(location_code text, sku text, quantity integer)
        ORDER BY w.location_code, w.sku
    LOOP
        UPDATE stock SET reserved = reserved + r.quantity
        WHERE location_code = r.location_code AND sku = r.sku
          AND on_hand - reserved - safety_stock >= r.quantity;
        GET DIAGNOSTICS taken = ROW_COUNT;
        IF taken = 0 THEN
            UPDATE stock AS s SET reserved = s.reserved - w.quantity
            FROM json_to_recordset(wanted) AS w(location_code text, sku text, quantity integer)
            WHERE s.location_code = w.location_code AND s.sku = w.sku
              AND (w.location_code, w.sku) < (r.location_code, r.sku);
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END;
$$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(RESERVE_ALL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ordermesh_reserve_all(json)")
