"""Catalogue use cases: the item master and the locations of the network."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields, replace
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.catalog import Address, Item, Location, SourcingProfile
from ordermesh.domain.errors import AlreadyExists, InvalidInput, NotFound
from ordermesh.domain.event_catalog import AddressPicture, LocationPicture, ProfilePicture
from ordermesh.domain.events import Event
from ordermesh.services.allocation import save_order, source_order
from ordermesh.services.commands import CreateItem, CreateLocation
from ordermesh.services.context import AppContext
from ordermesh.services.ports import DuplicateKey, UnitOfWork


def create_item(ctx: AppContext, *, command: CreateItem, actor: Principal) -> Item:
    """Add a SKU to the item master; orders waiting on it as an unknown SKU are sourced now.

    Raises AlreadyExists when the SKU is taken.
    """
    item = Item(command.sku, command.name, command.weight_grams, dict(command.attributes))

    def work(uow: UnitOfWork) -> Item:
        if uow.items.get(item.sku) is not None:
            raise AlreadyExists("item", item.sku)
        now = ctx.clock.now()
        uow.items.add(item, now)
        uow.outbox.add([Event("ordermesh.item.created", item.sku, asdict(item))], now)
        uow.audit.record(
            actor=actor,
            action="item.create",
            entity="item",
            entity_id=item.sku,
            before=None,
            after=asdict(item),
            at=now,
        )
        _resolve_unknown_sku(uow, ctx, item.sku)
        return item

    try:
        return ctx.transaction(work)
    except DuplicateKey:
        raise AlreadyExists("item", item.sku) from None


def _resolve_unknown_sku(uow: UnitOfWork, ctx: AppContext, sku: str) -> None:
    reason = f"unknown SKU '{sku}'"
    for order_id in uow.orders.with_exception_for(sku):
        order = uow.orders.get(order_id, for_update=True)
        if order is None:
            continue
        for line in order.lines:
            if line.sku == sku and line.exception == reason:
                line.exception = None
        source_order(uow, ctx, order)
        save_order(uow, ctx, order)


def create_location(ctx: AppContext, *, command: CreateLocation, actor: Principal) -> Location:
    """Add a location to the network with the command's sourcing profile.

    Raises AlreadyExists when the code is taken.
    """
    location = Location(
        command.code,
        command.name,
        command.type,
        command.address,
        command.capabilities,
        profile=command.profile,
    )

    def work(uow: UnitOfWork) -> Location:
        if uow.locations.get(location.code) is not None:
            raise AlreadyExists("location", location.code)
        now = ctx.clock.now()
        uow.locations.add(location, now)
        data = location_data(location)
        uow.outbox.add([Event("ordermesh.location.created", location.code, data)], now)
        uow.audit.record(
            actor=actor,
            action="location.create",
            entity="location",
            entity_id=location.code,
            before=None,
            after=data,
            at=now,
        )
        return location

    try:
        created = ctx.transaction(work)
    except DuplicateKey:
        raise AlreadyExists("location", location.code) from None
    # Sourcing in this process sees the new location (its type and profile) from the next order on.
    ctx.sourcing_cache.drop_network()
    return created


_PROFILE_FIELDS = frozenset(f.name for f in fields(SourcingProfile))


def change_sourcing_profile(ctx: AppContext, *, code: str, changes: Mapping[str, Any], actor: Principal) -> Location:
    """Replace the given fields of a location's sourcing profile (groups, tags, working day, capacity). Audited.

    Sourcing in this process uses the new profile from the next order on; other processes within seconds.
    Raises NotFound for an unknown location, InvalidInput for a field the profile does not have.
    """
    unknown = sorted(set(changes) - _PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(f"a sourcing profile has no field '{unknown[0]}'", field=(unknown[0],))

    def work(uow: UnitOfWork) -> Location:
        # Locked, so concurrent changes of different fields apply one after the other instead of the
        # later one writing back the profile as it read it before the earlier one committed.
        location = uow.locations.get(code, for_update=True)
        if location is None:
            raise NotFound("location", code)
        changed = replace(location, profile=replace(location.profile, **changes))
        uow.locations.save(changed)
        now = ctx.clock.now()
        uow.outbox.add([Event("ordermesh.location.updated", code, location_data(changed))], now)
        uow.audit.record(
            actor=actor,
            action="location.update_sourcing",
            entity="location",
            entity_id=code,
            before=profile_data(location.profile),
            after=profile_data(changed.profile),
            at=now,
        )
        return changed

    changed = ctx.transaction(work)
    ctx.sourcing_cache.drop_network()
    return changed


def location_data(location: Location) -> LocationPicture:
    return {
        "code": location.code,
        "name": location.name,
        "type": location.type.value,
        "address": address_data(location.address),
        "capabilities": sorted(c.value for c in location.capabilities),
        "active": location.active,
        "sourcing": profile_data(location.profile),
    }


def profile_data(profile: SourcingProfile) -> ProfilePicture:
    return {
        "groups": sorted(profile.groups),
        "tags": sorted(profile.tags),
        "timezone": profile.timezone,
        "cutoff": profile.cutoff.strftime("%H:%M") if profile.cutoff else None,
        "processing_days": profile.processing_days,
        "daily_order_capacity": profile.daily_order_capacity,
        "daily_unit_capacity": profile.daily_unit_capacity,
    }


def address_data(address: Address) -> AddressPicture:
    return {
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
        "lat": address.lat,
        "lon": address.lon,
        "name": address.name,
    }
