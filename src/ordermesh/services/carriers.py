"""Carrier rate cards (validated, versioned, audited) and rate shopping for a shipment or a fulfilment order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.carriers import Package, Place, RateCards, RateRequest, RateShop, parse_rate_cards, shop_rates
from ordermesh.domain.carriers.sample import SAMPLE_RATE_CARDS
from ordermesh.domain.catalog import Address, Item, Location
from ordermesh.domain.errors import ConcurrentUpdate, InvalidInput, NotFound
from ordermesh.domain.fulfillment import FulfillmentOrder
from ordermesh.services.carrier_ports import RateCardVersion
from ordermesh.services.context import AppContext
from ordermesh.services.ports import DuplicateKey, Page, UnitOfWork

PUT_ATTEMPTS = 5
# Item attributes that give a unit's packed dimensions, for dimensional weight.
DIMENSIONS = ("length_cm", "width_cm", "height_cm")


@dataclass(frozen=True)
class CurrentRateCards:
    """The rate cards in use: the latest stored version, or the built-in sample (version None) before any."""

    cards: RateCards
    record: RateCardVersion | None

    @property
    def built_in(self) -> bool:
        return self.record is None


def current_rate_cards(uow: UnitOfWork) -> CurrentRateCards:
    record = uow.rate_cards.latest()
    return CurrentRateCards(parse_rate_cards(record.document if record else SAMPLE_RATE_CARDS), record)


def put_rate_cards(ctx: AppContext, *, document: Any, note: str | None, actor: Principal) -> RateCardVersion:
    """Validate a rate-card document and store it as the next version, the one rate shopping uses. Audited.

    Raises RateCardsInvalid naming every problem by its path (nothing is stored then).
    """
    cards = parse_rate_cards(document)

    def work(uow: UnitOfWork) -> RateCardVersion:
        previous = uow.rate_cards.latest()
        now = ctx.clock.now()
        record = RateCardVersion((previous.version if previous else 0) + 1, document, now, actor.name, note)
        uow.rate_cards.add(record)
        uow.audit.record(
            actor=actor,
            action="rate_cards.stored",
            entity="rate_cards",
            entity_id=str(record.version),
            before=_summary(parse_rate_cards(previous.document), previous.version) if previous else None,
            after=_summary(cards, record.version),
            at=now,
        )
        return record

    for _ in range(PUT_ATTEMPTS):
        try:
            stored = ctx.transaction(work)
        except DuplicateKey:
            continue  # another version was stored at the same moment: take the next number
        ctx.sourcing_cache.drop_rules()  # a rule set priced by the carriers' cards takes the new ones
        return stored
    raise ConcurrentUpdate("the rate cards are being changed by others; try again")


def _summary(cards: RateCards, version: int) -> dict[str, Any]:
    return {"version": version, "currency": cards.currency, "services": [s.key for _, s in cards.services()]}


def get_rate_cards(ctx: AppContext, version: int | None = None) -> RateCardVersion | None:
    """A stored version (the latest when none is named); None before any is stored. Raises NotFound."""
    record = ctx.read(lambda uow: uow.rate_cards.latest() if version is None else uow.rate_cards.get(version))
    if record is None and version is not None:
        raise NotFound("rate card version", str(version))
    return record


def list_rate_card_versions(ctx: AppContext, *, after: str | None, limit: int) -> Page:
    return ctx.read(lambda uow: uow.rate_cards.page(after=after, limit=limit))


@dataclass(frozen=True)
class QuoteShipment:
    """A rate request in Ordermesh's words: from a location (or an address), to an address, these packages."""

    ship_to: Address
    packages: tuple[Package, ...]
    ship_from: str | Address  # a location code, or an address
    ready_at: datetime | None = None  # default: now
    promised_by: date | None = None
    residential: bool = True
    service_level: str | None = None


def quote(ctx: AppContext, command: QuoteShipment) -> tuple[RateShop, CurrentRateCards]:
    """Quote every service of the current rate cards and choose one. Raises NotFound for an unknown location."""

    def work(uow: UnitOfWork) -> tuple[Place, str, CurrentRateCards]:
        if isinstance(command.ship_from, Address):
            origin, timezone = _place(ctx, command.ship_from), "UTC"
        else:
            location = uow.locations.get(command.ship_from)
            if location is None:
                raise NotFound("location", command.ship_from)
            origin, timezone = _location_place(location), location.profile.timezone
        return origin, timezone, current_rate_cards(uow)

    origin, timezone, current = ctx.read(work)
    request = RateRequest(
        ship_from=origin,
        ship_to=_place(ctx, command.ship_to),
        packages=command.packages,
        ready_at=command.ready_at or ctx.clock.now(),
        origin_timezone=timezone,
        promised_by=command.promised_by,
        residential=command.residential,
        service_level=command.service_level,
    )
    return shop_rates(current.cards, request), current


def rates_for_fulfillment_order(
    ctx: AppContext,
    *,
    fo_id: str,
    promised_by: date | None,
    residential: bool = True,
    service_level: str | None = None,
) -> tuple[RateShop, CurrentRateCards]:
    """Quote the units of a fulfilment order still to ship (all of them once shipped) from its location.

    Packages: each unit of an item flagged `ship_alone` on its own (with its dimensions when the item has
    length_cm, width_cm and height_cm), every other unit together in one package.
    Raises NotFound for an unknown fulfilment order, and InvalidInput for a pickup order (nothing ships).
    """

    def work(uow: UnitOfWork) -> tuple[Address | None, FulfillmentOrder, Location, dict[str, Item], CurrentRateCards]:
        order_id = uow.orders.id_for_fulfillment_order(fo_id)
        order = uow.orders.get(order_id) if order_id else None
        if order is None:
            raise NotFound("fulfillment order", fo_id)
        fo = order.fulfillment_order(fo_id)
        location = uow.locations.get(fo.location)
        if location is None:
            raise NotFound("location", fo.location)
        items = uow.items.get_many(sorted({fl.sku for fl in fo.lines}))
        return order.ship_to, fo, location, items, current_rate_cards(uow)

    ship_to, fo, location, items, current = ctx.read(work)
    if ship_to is None:
        raise InvalidInput(f"fulfillment order {fo_id} is a pickup order: nothing ships", field=("path", "fo_id"))
    request = RateRequest(
        ship_from=_location_place(location),
        ship_to=_place(ctx, ship_to),
        packages=packages_for(fo, items),
        ready_at=ctx.clock.now(),
        origin_timezone=location.profile.timezone,
        promised_by=promised_by,
        residential=residential,
        service_level=service_level,
    )
    return shop_rates(current.cards, request), current


def packages_for(fo: FulfillmentOrder, items: dict[str, Item]) -> tuple[Package, ...]:
    """The packages a fulfilment order's units go in (see `rates_for_fulfillment_order`)."""
    units = (
        [(fl.sku, fl.open) for fl in fo.lines]
        if any(fl.open for fl in fo.lines)
        else [(fl.sku, fl.quantity - fl.cancelled) for fl in fo.lines]
    )
    alone: list[Package] = []
    together = 0
    for sku, quantity in units:
        item = items.get(sku)
        grams = item.weight_grams if item else 0
        if item is not None and item.attributes.get("ship_alone"):
            alone += [_unit_package(item)] * quantity
        else:
            together += grams * quantity
    return (*([Package(max(together, 1))] if together or not alone else []), *alone)


def _unit_package(item: Item) -> Package:
    sizes: Sequence[Any] = [item.attributes.get(name) for name in DIMENSIONS]
    if all(isinstance(size, int | float) and not isinstance(size, bool) and size > 0 for size in sizes):
        return Package(item.weight_grams, float(sizes[0]), float(sizes[1]), float(sizes[2]))
    return Package(item.weight_grams)


def _location_place(location: Location) -> Place:
    address = location.address
    return Place(address.country, address.postal_code, address.point)


def _place(ctx: AppContext, address: Address) -> Place:
    point = address.point or ctx.geocoder.locate(address.country, address.postal_code)
    return Place(address.country, address.postal_code, point)
