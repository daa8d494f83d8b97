"""The order aggregate (order, lines, fulfilment orders, shipments) in four tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db.errors import is_unique_violation
from ordermesh.adapters.db.paging import decode_cursor, keyset_page
from ordermesh.adapters.db.pg_bulk import insert_order
from ordermesh.adapters.db.tables import fulfillment_lines, fulfillment_orders, order_lines, orders, shipments
from ordermesh.domain.catalog import Address
from ordermesh.domain.fulfillment import FulfillmentLine, FulfillmentOrder, FulfillmentStatus, Shipment
from ordermesh.domain.orders import Customer, Delivery, DeliveryMethod, Order, OrderLine, PaymentStatus
from ordermesh.services.ports import DuplicateKey, FulfillmentFilter, OrderFilter, Page

_LINE_BUCKETS = ("unallocated", "allocated", "backordered", "shipped", "delivered", "cancelled")

# Built once: the capture path runs these for every order.
_INSERT_ORDER = insert(orders)
_INSERT_LINES = insert(order_lines)
_UPDATE_HEADER = (
    update(orders)
    .where(orders.c.id == bindparam("b_id"))
    .values(
        hold_reason=bindparam("b_hold_reason"),
        status=bindparam("b_status"),
        updated_at=bindparam("b_updated_at"),
        payment_status=bindparam("b_payment_status"),
        customer=bindparam("b_customer"),
        ship_to=bindparam("b_ship_to"),
    )
)
_UPDATE_LINES = (
    update(order_lines)
    .where(order_lines.c.id == bindparam("line_id"))
    .values({name: bindparam(f"b_{name}") for name in (*_LINE_BUCKETS, "exception")})
)
_INSERT_FOS = insert(fulfillment_orders)
_UPDATE_FOS = (
    update(fulfillment_orders)
    .where(fulfillment_orders.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status"), reason=bindparam("b_reason"), updated_at=bindparam("b_updated_at"))
)
_INSERT_FO_LINES = insert(fulfillment_lines)
_UPDATE_FO_LINES = (
    update(fulfillment_lines)
    .where(
        fulfillment_lines.c.fulfillment_order_id == bindparam("fo_id"),
        fulfillment_lines.c.order_line_id == bindparam("line_id"),
    )
    .values(
        quantity=bindparam("b_quantity"),
        shipped=bindparam("b_shipped"),
        delivered=bindparam("b_delivered"),
        cancelled=bindparam("b_cancelled"),
    )
)
_INSERT_SHIPMENTS = insert(shipments)
_FIND = select(orders.c.id).where(
    orders.c.channel == bindparam("channel"), orders.c.external_id == bindparam("external_id")
)


@dataclass
class _Stored:
    """What is already in the database for one loaded or added order, so save() knows insert from update."""

    lines: bool = False
    fulfillment_orders: set[str] = field(default_factory=set)
    fulfillment_lines: set[tuple[str, str]] = field(default_factory=set)
    shipments: set[str] = field(default_factory=set)


class SqlOrders:
    def __init__(self, conn: Connection, *, lock_rows: bool) -> None:
        self.conn = conn
        self.lock_rows = lock_rows
        self._stored: dict[str, _Stored] = {}

    # -- writing -------------------------------------------------------------------------------

    def add(self, order: Order) -> None:
        """Insert a new order with its lines and fulfilment orders; DuplicateKey when (channel, external_id) exists.

        On PostgreSQL a concurrent insert of the same key waits for the first transaction and then
        fails, so of two racing duplicates exactly one commits.
        """
        if self.conn.dialect.name == "postgresql":
            self._add_in_one_statement(order)
            return
        try:
            self.conn.execute(_INSERT_ORDER, _header(order))
        except IntegrityError as exc:
            raise DuplicateKey(f"{order.channel}/{order.external_id}") from exc
        stored = self._stored[order.id] = _Stored()
        self._save_lines(order, stored)
        self._save_fulfillment(order, stored)

    def _add_in_one_statement(self, order: Order) -> None:
        fos = [_fo_row(fo) for fo in order.fulfillment_orders]
        fls = [
            _fl_columns(_fl_row(fo.id, position, fl))
            for fo in order.fulfillment_orders
            for position, fl in enumerate(fo.lines)
        ]
        try:
            insert_order(self.conn, _header(order), _line_rows(order), fos, fls)
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise DuplicateKey(f"{order.channel}/{order.external_id}") from exc
            raise
        self._stored[order.id] = _Stored(
            lines=True,
            fulfillment_orders={fo["id"] for fo in fos},
            fulfillment_lines={(fl["fulfillment_order_id"], fl["order_line_id"]) for fl in fls},
        )

    def save(self, order: Order) -> None:
        stored = self._stored.setdefault(order.id, _Stored(lines=True))
        self.conn.execute(
            _UPDATE_HEADER,
            {
                "b_id": order.id,
                "b_hold_reason": order.hold_reason,
                "b_status": order.status.value,
                "b_updated_at": order.updated_at,
                "b_payment_status": order.payment_status.value,
                "b_customer": vars(order.customer).copy(),
                "b_ship_to": vars(order.ship_to).copy() if order.ship_to else None,
            },
        )
        self._save_lines(order, stored)
        self._save_fulfillment(order, stored)

    def _save_lines(self, order: Order, stored: _Stored) -> None:
        if not stored.lines:
            self.conn.execute(_INSERT_LINES, _line_rows(order))
            stored.lines = True
            return
        self.conn.execute(
            _UPDATE_LINES,
            [
                {"line_id": line.id, "b_exception": line.exception, **{f"b_{k}": v for k, v in line.buckets().items()}}
                for line in order.lines
            ],
        )

    def _save_fulfillment(self, order: Order, stored: _Stored) -> None:
        new_fos: list[dict[str, Any]] = []
        old_fos: list[dict[str, Any]] = []
        new_lines: list[dict[str, Any]] = []
        old_lines: list[dict[str, Any]] = []
        new_shipments: list[Shipment] = []
        for fo in order.fulfillment_orders:
            row = _fo_row(fo)
            (old_fos if fo.id in stored.fulfillment_orders else new_fos).append(row)
            for position, fl in enumerate(fo.lines):
                line_row = _fl_row(fo.id, position, fl)
                key = (fo.id, fl.order_line_id)
                (old_lines if key in stored.fulfillment_lines else new_lines).append(line_row)
            new_shipments += [s for s in fo.shipments if s.id not in stored.shipments]
        if new_fos:
            self.conn.execute(_INSERT_FOS, new_fos)
        if old_fos:
            self.conn.execute(
                _UPDATE_FOS,
                [
                    {"b_id": r["id"], "b_status": r["status"], "b_reason": r["reason"], "b_updated_at": r["updated_at"]}
                    for r in old_fos
                ],
            )
        if new_lines:
            self.conn.execute(_INSERT_FO_LINES, [_fl_columns(r) for r in new_lines])
        if old_lines:
            self.conn.execute(
                _UPDATE_FO_LINES,
                [
                    {"fo_id": r["fo_id"], "line_id": r["line_id"]}
                    | {f"b_{k}": r[k] for k in ("quantity", "shipped", "delivered", "cancelled")}
                    for r in old_lines
                ],
            )
        if new_shipments:
            self.conn.execute(
                _INSERT_SHIPMENTS,
                [
                    {
                        "id": s.id,
                        "fulfillment_order_id": s.fulfillment_order_id,
                        "carrier": s.carrier,
                        "tracking_number": s.tracking_number,
                        "lines": s.lines,
                        "shipped_at": s.shipped_at,
                    }
                    for s in new_shipments
                ],
            )
        stored.fulfillment_orders |= {r["id"] for r in new_fos}
        stored.fulfillment_lines |= {(r["fo_id"], r["line_id"]) for r in new_lines}
        stored.shipments |= {s.id for s in new_shipments}

    # -- reading -------------------------------------------------------------------------------

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        query = select(orders).where(orders.c.id == order_id)
        if for_update and self.lock_rows:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        if row is None:
            return None
        return self._assemble([row._mapping])[0]

    def find(self, channel: str, external_id: str) -> Order | None:
        row = self.conn.execute(_FIND, {"channel": channel, "external_id": external_id}).first()
        return self.get(row.id) if row else None

    def id_for_fulfillment_order(self, fo_id: str) -> str | None:
        return self.conn.scalar(select(fulfillment_orders.c.order_id).where(fulfillment_orders.c.id == fo_id))

    def page(self, filters: OrderFilter, *, after: str | None, limit: int) -> Page:
        query = select(orders).order_by(orders.c.id.desc()).limit(limit + 1)
        for column, value in (
            ("channel", filters.channel),
            ("external_id", filters.external_id),
            ("status", filters.status),
        ):
            if value is not None:
                query = query.where(orders.c[column] == value)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(orders.c.id < key)
        rows, cursor = keyset_page([r._mapping for r in self.conn.execute(query)], limit, lambda r: str(r["id"]))
        return Page(self._assemble(rows), cursor)

    def list_fulfillment_orders(self, filters: FulfillmentFilter, *, after: str | None, limit: int) -> Page:
        fo = fulfillment_orders.c
        query = select(fo.id, fo.order_id).order_by(fo.id.desc()).limit(limit + 1)
        if filters.order_id is not None:
            query = query.where(fo.order_id == filters.order_id)
        if filters.location is not None:
            query = query.where(fo.location_code == filters.location)
        if filters.status is not None:
            query = query.where(fo.status == filters.status)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(fo.id < key)
        pairs, cursor = keyset_page(list(self.conn.execute(query)), limit, lambda p: str(p.id))
        header_rows = self.conn.execute(select(orders).where(orders.c.id.in_({p.order_id for p in pairs})))
        by_id = {o.id: o for o in self._assemble([r._mapping for r in header_rows])}
        result = [by_id[p.order_id].fulfillment_order(p.id) for p in pairs]
        return Page(result, cursor)

    def waiting_for(self, sku: str, *, limit: int) -> list[str]:
        query = (
            select(orders.c.id)
            .join(order_lines, order_lines.c.order_id == orders.c.id)
            .where(order_lines.c.sku == sku, order_lines.c.backordered > 0, orders.c.hold_reason.is_(None))
            .group_by(orders.c.id, orders.c.placed_at)
            .order_by(orders.c.placed_at, orders.c.id)
            .limit(limit)
        )
        return list(self.conn.scalars(query))

    def backordered_skus(self, *, limit: int, among: Sequence[str] | None = None) -> list[str]:
        query = select(order_lines.c.sku).where(order_lines.c.backordered > 0)
        if among is not None:
            query = query.where(order_lines.c.sku.in_(sorted(set(among))))
        return list(self.conn.scalars(query.distinct().order_by(order_lines.c.sku).limit(limit)))

    def with_exception_for(self, sku: str) -> list[str]:
        query = (
            select(order_lines.c.order_id)
            .where(order_lines.c.sku == sku, order_lines.c.exception.is_not(None))
            .distinct()
            .order_by(order_lines.c.order_id)
        )
        return list(self.conn.scalars(query))

    def placed_between(
        self, start: datetime, end: datetime, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Order]:
        query = (
            select(orders)
            .where(orders.c.placed_at >= start, orders.c.placed_at < end)
            .order_by(orders.c.placed_at, orders.c.id)
            .limit(limit)
        )
        if after is not None:
            placed_at, order_id = after
            query = query.where(
                or_(orders.c.placed_at > placed_at, and_(orders.c.placed_at == placed_at, orders.c.id > order_id))
            )
        return self._assemble([r._mapping for r in self.conn.execute(query)])

    def _assemble(self, headers: Sequence[Any]) -> list[Order]:
        """Build whole aggregates for some header rows with one query per child table."""
        ids = [h["id"] for h in headers]
        if not ids:
            return []
        lines: dict[str, list[OrderLine]] = defaultdict(list)
        for r in self.conn.execute(
            select(order_lines)
            .where(order_lines.c.order_id.in_(ids))
            .order_by(order_lines.c.order_id, order_lines.c.position)
        ):
            lines[r.order_id].append(
                OrderLine(
                    r.id,
                    r.external_id,
                    r.sku,
                    r.quantity,
                    Decimal(r.unit_price),
                    **{name: getattr(r, name) for name in _LINE_BUCKETS},
                    exception=r.exception,
                )
            )
        fos: dict[str, list[FulfillmentOrder]] = defaultdict(list)
        by_fo: dict[str, FulfillmentOrder] = {}
        for r in self.conn.execute(
            select(fulfillment_orders).where(fulfillment_orders.c.order_id.in_(ids)).order_by(fulfillment_orders.c.id)
        ):
            fo = FulfillmentOrder(
                r.id, r.order_id, r.location_code, FulfillmentStatus(r.status), [], r.created_at, r.updated_at, r.reason
            )
            fos[r.order_id].append(fo)
            by_fo[fo.id] = fo
        if by_fo:
            fl_rows = self.conn.execute(
                select(fulfillment_lines)
                .where(fulfillment_lines.c.fulfillment_order_id.in_(list(by_fo)))
                .order_by(fulfillment_lines.c.fulfillment_order_id, fulfillment_lines.c.position)
            )
            for r in fl_rows:
                by_fo[r.fulfillment_order_id].lines.append(
                    FulfillmentLine(r.order_line_id, r.sku, r.quantity, r.shipped, r.delivered, r.cancelled)
                )
            for r in self.conn.execute(
                select(shipments)
                .where(shipments.c.fulfillment_order_id.in_(list(by_fo)))
                .order_by(shipments.c.shipped_at, shipments.c.id)
            ):
                by_fo[r.fulfillment_order_id].shipments.append(
                    Shipment(r.id, r.fulfillment_order_id, r.carrier, r.tracking_number, dict(r.lines), r.shipped_at)
                )
        result = []
        for h in headers:
            order = _order(h, lines[h["id"]], fos[h["id"]])
            self._stored[order.id] = _Stored(
                lines=True,
                fulfillment_orders={fo.id for fo in order.fulfillment_orders},
                fulfillment_lines={(fo.id, fl.order_line_id) for fo in order.fulfillment_orders for fl in fo.lines},
                shipments={s.id for fo in order.fulfillment_orders for s in fo.shipments},
            )
            result.append(order)
        return result


def _line_rows(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "id": line.id,
            "order_id": order.id,
            "position": i,
            "external_id": line.external_id,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": str(line.unit_price),
            "exception": line.exception,
            **line.buckets(),
        }
        for i, line in enumerate(order.lines)
    ]


def _fo_row(fo: FulfillmentOrder) -> dict[str, Any]:
    return {
        "id": fo.id,
        "order_id": fo.order_id,
        "location_code": fo.location,
        "status": fo.status.value,
        "reason": fo.reason,
        "created_at": fo.created_at,
        "updated_at": fo.updated_at,
    }


def _fl_row(fo_id: str, position: int, fl: FulfillmentLine) -> dict[str, Any]:
    return {
        "fo_id": fo_id,
        "line_id": fl.order_line_id,
        "position": position,
        "sku": fl.sku,
        "quantity": fl.quantity,
        "shipped": fl.shipped,
        "delivered": fl.delivered,
        "cancelled": fl.cancelled,
    }


def _fl_columns(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "fulfillment_order_id": r["fo_id"],
        "order_line_id": r["line_id"],
        "position": r["position"],
        "sku": r["sku"],
        "quantity": r["quantity"],
        "shipped": r["shipped"],
        "delivered": r["delivered"],
        "cancelled": r["cancelled"],
    }


def _header(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "channel": order.channel,
        "external_id": order.external_id,
        "currency": order.currency,
        "customer": vars(order.customer).copy(),
        "ship_to": vars(order.ship_to).copy() if order.ship_to else None,
        "delivery_method": order.delivery.method.value,
        "pickup_location": order.delivery.pickup_location,
        "service_level": order.delivery.service_level,
        "shipping_total": str(order.shipping_total),
        "tax_total": str(order.tax_total),
        "discount_total": str(order.discount_total),
        "payment_status": order.payment_status.value,
        "placed_at": order.placed_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "hold_reason": order.hold_reason,
        "status": order.status.value,
    }


def _order(h: Any, lines: list[OrderLine], fos: list[FulfillmentOrder]) -> Order:
    return Order(
        id=h["id"],
        channel=h["channel"],
        external_id=h["external_id"],
        currency=h["currency"],
        customer=Customer(**{**h["customer"], "tags": tuple(h["customer"].get("tags") or ())}),
        ship_to=Address(**h["ship_to"]) if h["ship_to"] else None,
        delivery=Delivery(DeliveryMethod(h["delivery_method"]), h["pickup_location"], h["service_level"]),
        lines=lines,
        shipping_total=Decimal(h["shipping_total"]),
        tax_total=Decimal(h["tax_total"]),
        discount_total=Decimal(h["discount_total"]),
        payment_status=PaymentStatus(h["payment_status"]),
        placed_at=h["placed_at"],
        created_at=h["created_at"],
        updated_at=h["updated_at"],
        hold_reason=h["hold_reason"],
        fulfillment_orders=fos,
    )
