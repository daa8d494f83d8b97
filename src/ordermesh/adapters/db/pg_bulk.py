"""PostgreSQL: write many rows of several tables in one round trip.

Each round trip costs more CPU (client and server) than the insert it carries, so on PostgreSQL a new
order (header, lines, fulfilment orders and their lines) is one statement, and the append-only rows of
a transaction (ledger movements, outbox events, audit records) are kept and written in one statement
just before it commits. Rows travel as JSON arrays and are unpacked by `json_populate_recordset`, so the
statement text never changes and stays prepared. Foreign keys are checked at the end of the statement,
when every row of it is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from ordermesh.adapters.db.engine import dumps

_INSERT_ORDER = text(
    """
    WITH header AS (
        INSERT INTO orders SELECT * FROM json_populate_record(NULL::orders, CAST(:header AS json))
    ), lines AS (
        INSERT INTO order_lines SELECT * FROM json_populate_recordset(NULL::order_lines, CAST(:lines AS json))
    ), fulfillment AS (
        INSERT INTO fulfillment_orders
        SELECT * FROM json_populate_recordset(NULL::fulfillment_orders, CAST(:fulfillment_orders AS json))
    )
    INSERT INTO fulfillment_lines
    SELECT * FROM json_populate_recordset(NULL::fulfillment_lines, CAST(:fulfillment_lines AS json))
    """
)

_APPEND = text(
    """
    WITH movements AS (
        INSERT INTO stock_movements
            (location_code, sku, kind, on_hand_delta, reserved_delta, on_hand_after, reason, reference, at)
        SELECT r.location_code, r.sku, r.kind, r.on_hand_delta, r.reserved_delta, r.on_hand_after, r.reason,
               r.reference, r.at
        FROM json_populate_recordset(NULL::stock_movements, CAST(:movements AS json)) WITH ORDINALITY AS r
        ORDER BY r.ordinality
    ), events AS (
        INSERT INTO outbox (txid, event_id, type, source, subject, time, data)
        SELECT pg_current_xact_id()::text::bigint, r.event_id, r.type, r.source, r.subject, r.time, r.data
        FROM json_populate_recordset(NULL::outbox, CAST(:events AS json)) WITH ORDINALITY AS r
        ORDER BY r.ordinality
    ), decisions AS (
        INSERT INTO sourcing_decisions (order_id, trigger, rule_set_id, decided_at, explanation)
        SELECT r.order_id, r.trigger, r.rule_set_id, r.decided_at, r.explanation
        FROM json_populate_recordset(NULL::sourcing_decisions, CAST(:decisions AS json)) WITH ORDINALITY AS r
        ORDER BY r.ordinality
    )
    INSERT INTO audit_log (at, actor_id, actor_name, action, entity, entity_id, before, after)
    SELECT r.at, r.actor_id, r.actor_name, r.action, r.entity, r.entity_id, r.before, r.after
    FROM json_populate_recordset(NULL::audit_log, CAST(:audit AS json)) WITH ORDINALITY AS r
    ORDER BY r.ordinality
    """
)


def insert_order(
    conn: Connection,
    header: dict[str, Any],
    lines: Sequence[dict[str, Any]],
    fulfillment_orders: Sequence[dict[str, Any]],
    fulfillment_lines: Sequence[dict[str, Any]],
) -> None:
    """Insert a new order with its lines and fulfilment orders in one statement."""
    conn.execute(
        _INSERT_ORDER,
        {
            "header": dumps(header),
            "lines": dumps(list(lines)),
            "fulfillment_orders": dumps(list(fulfillment_orders)),
            "fulfillment_lines": dumps(list(fulfillment_lines)),
        },
    )


class AppendBuffer:
    """Append-only rows of one transaction, written together by `flush` (before commit or a read of them)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.movements: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []
        self.decisions: list[dict[str, Any]] = []

    def flush(self) -> None:
        if not (self.movements or self.events or self.audit or self.decisions):
            return
        self.conn.execute(
            _APPEND,
            {
                "movements": dumps(self.movements),
                "events": dumps(self.events),
                "audit": dumps(self.audit),
                "decisions": dumps(self.decisions),
            },
        )
        self.movements.clear()
        self.events.clear()
        self.audit.clear()
        self.decisions.clear()
