"""The one way an existing order changes: locked, changed, saved with its events and an audit record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import NotFound
from ordermesh.domain.fulfillment import fo_data
from ordermesh.domain.orders import Order, order_data
from ordermesh.services.allocation import save_order
from ordermesh.services.context import AppContext
from ordermesh.services.ports import UnitOfWork

Change = Callable[[UnitOfWork, Order, datetime], None]


@dataclass(frozen=True)
class Audited:
    """What the audit record is about: the order itself, or one of its fulfilment orders."""

    entity: str
    entity_id: str
    picture: Callable[[Order], Mapping[str, Any]]

    @classmethod
    def order(cls, order_id: str) -> Audited:
        return cls("order", order_id, order_data)

    @classmethod
    def fulfillment_order(cls, fo_id: str) -> Audited:
        return cls("fulfillment_order", fo_id, lambda order: fo_data(order.fulfillment_order(fo_id)))


def change_order(
    ctx: AppContext, *, order_id: str, actor: Principal, action: str, change: Change, audited: Audited
) -> Order:
    """Lock the order, apply `change(uow, order, now)`, save it and record who did what.

    Raises NotFound when the order does not exist, and whatever the change raises (nothing is written then).
    """
    return ctx.transaction(
        lambda uow: change_order_in(
            uow, ctx, order_id=order_id, actor=actor, action=action, change=change, audited=audited
        )
    )


def change_order_in(
    uow: UnitOfWork,
    ctx: AppContext,
    *,
    order_id: str,
    actor: Principal,
    action: str,
    change: Change,
    audited: Audited,
) -> Order:
    """`change_order` inside a unit of work the caller holds (several changes, or a record, commit together)."""
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        raise NotFound("order", order_id)
    before = audited.picture(order)
    now = ctx.clock.now()
    change(uow, order, now)
    save_order(uow, ctx, order)
    uow.audit.record(
        actor=actor,
        action=action,
        entity=audited.entity,
        entity_id=audited.entity_id,
        before=before,
        after=audited.picture(order),
        at=now,
    )
    return order
