"""The import use case on the fakes: one transaction per order, a refusal reported, the rest goes on."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ordermesh.domain.access import SYSTEM
from ordermesh.services.commands import NewLine
from ordermesh.services.imports import import_orders
from tests.unit.test_services_with_fakes import NEWARK, network, order_for, stocked


def test_an_order_the_domain_refuses_is_reported_and_the_next_one_still_imported() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=5)
    refused = replace(order_for("F-1", ("TEE", 1)), lines=(NewLine("F-1-0", "TEE", 0, Decimal("10.00")),))
    good = order_for("F-2", ("TEE", 1))
    ticks: list[int] = []

    report = import_orders(
        ctx,
        orders=[("row 2", refused, None), ("row 3", None, "row 3: sku: missing"), ("row 4", good, None)],
        actor=SYSTEM,
        progress=lambda: ticks.append(1),
    )

    assert [(r.where, "positive" in r.reason) for r in report.rejected] == [("row 2", True), ("row 3", False)]
    assert len(report.imported) == 1 and report.already_present == []
    assert len(ticks) == 3


def test_an_order_imported_before_is_counted_as_already_present() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=5)
    command = order_for("F-3", ("TEE", 1))
    first = import_orders(ctx, orders=[("row 2", command, None)], actor=SYSTEM)

    again = import_orders(ctx, orders=[("row 2", command, None)], actor=SYSTEM)

    assert again.imported == [] and again.already_present == first.imported
