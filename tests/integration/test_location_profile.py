"""Changing a location's sourcing profile concurrently: changes of different fields all survive."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import time
from typing import Any

from ordermesh.bootstrap import Runtime
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType, SourcingProfile
from ordermesh.services import catalog
from ordermesh.services.commands import CreateLocation
from tests.integration.pausing import PausingUnitOfWorks

CHANGES: list[dict[str, Any]] = [
    {"groups": frozenset({"east"})},
    {"tags": frozenset({"bulky"})},
    {"cutoff": time(15, 0)},
    {"processing_days": 1},
    {"daily_order_capacity": 40},
    {"daily_unit_capacity": 400},
]


def test_concurrent_changes_of_different_profile_fields_are_all_kept(runtime: Runtime) -> None:
    ctx = runtime.context
    address = Address(line1="1 Main St", country="US", lat=40.7, lon=-74.2)
    command = CreateLocation("NWK", "Newark", LocationType.WAREHOUSE, address, frozenset({Capability.SHIP}))
    catalog.create_location(ctx, command=command, actor=SYSTEM)
    # Every change pauses after reading the location: without a lock, each would write back the others' old values.
    slow = replace(ctx, uow=PausingUnitOfWorks(ctx.uow, "locations", "get"))

    with ThreadPoolExecutor(max_workers=len(CHANGES)) as pool:
        list(pool.map(lambda c: catalog.change_sourcing_profile(slow, code="NWK", changes=c, actor=SYSTEM), CHANGES))

    stored = ctx.read(lambda uow: uow.locations.get("NWK"))
    expected = SourcingProfile()
    for change in CHANGES:
        expected = replace(expected, **change)
    assert stored is not None and stored.profile == expected
    events = ctx.read(lambda uow: uow.outbox.feed(after=None, limit=100)).rows
    assert [e.type for e in events].count("ordermesh.location.updated") == len(CHANGES)
