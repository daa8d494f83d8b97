"""Every fake and every real adapter offers each member of its port with the port's parameters.

mypy checks only src/, so this is the structural check for the fakes: the same member names, and
for each method the same parameter names, kinds (positional, keyword-only) and defaults.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from ordermesh.adapters.db.carriers_repo import SqlRateCards, SqlShipmentTracking
from ordermesh.adapters.db.catalog_repo import SqlItems, SqlLocations
from ordermesh.adapters.db.channel_pushes_repo import SqlChannelPushes
from ordermesh.adapters.db.channels_repo import SqlChannelOrders, SqlChannels, SqlWebhookDeliveries
from ordermesh.adapters.db.orders_repo import SqlOrders
from ordermesh.adapters.db.outbound_webhooks_repo import SqlOutboundDeliveries, SqlWebhookSubscriptions
from ordermesh.adapters.db.partners_repo import (
    SqlEdiDocuments,
    SqlExceptionQueue,
    SqlPartners,
    SqlReconciliationRuns,
)
from ordermesh.adapters.db.records_repo import (
    SqlApiKeys,
    SqlAuditLog,
    SqlIdempotencyKeys,
    SqlOutbox,
    SqlRelayPositions,
)
from ordermesh.adapters.db.simulation_repo import SqlSimulationRuns
from ordermesh.adapters.db.sourcing_repo import SqlCapacity, SqlDecisions, SqlRuleSets
from ordermesh.adapters.db.stock_repo import SqlStock
from ordermesh.adapters.db.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from ordermesh.adapters.geo.zip_centroids import ZipCentroids
from ordermesh.adapters.system import SystemClock, UlidIds
from ordermesh.services import carrier_ports, channel_ports, partner_ports, ports, webhook_ports
from tests import fake_carriers, fake_channel_pushes, fake_partners, fake_webhooks, fakes

_PROTOCOL_DUNDERS = {"__call__", "__enter__", "__exit__"}

IMPLEMENTATIONS: list[tuple[Any, Any, Any]] = [
    (ports.ItemRepository, fakes.FakeItems, SqlItems),
    (ports.LocationRepository, fakes.FakeLocations, SqlLocations),
    (ports.StockRepository, fakes.FakeStock, SqlStock),
    (ports.OrderRepository, fakes.FakeOrders, SqlOrders),
    (ports.Outbox, fakes.FakeOutbox, SqlOutbox),
    (ports.AuditLog, fakes.FakeAuditLog, SqlAuditLog),
    (ports.IdempotencyKeys, fakes.FakeIdempotencyKeys, SqlIdempotencyKeys),
    (ports.ApiKeys, fakes.FakeApiKeys, SqlApiKeys),
    (ports.RelayPositions, fakes.FakeRelayPositions, SqlRelayPositions),
    (ports.RuleSets, fakes.FakeRuleSets, SqlRuleSets),
    (ports.SourcingDecisions, fakes.FakeDecisions, SqlDecisions),
    (ports.CapacityLedger, fakes.FakeCapacity, SqlCapacity),
    (ports.SimulationRuns, fakes.FakeSimulationRuns, SqlSimulationRuns),
    (carrier_ports.RateCardVersions, fake_carriers.FakeRateCards, SqlRateCards),
    (carrier_ports.ShipmentTrackingRepository, fake_carriers.FakeShipmentTracking, SqlShipmentTracking),
    (channel_ports.Channels, fakes.FakeChannels, SqlChannels),
    (channel_ports.WebhookDeliveries, fakes.FakeWebhookDeliveries, SqlWebhookDeliveries),
    (channel_ports.ChannelOrders, fakes.FakeChannelOrders, SqlChannelOrders),
    (webhook_ports.WebhookSubscriptions, fake_webhooks.FakeWebhookSubscriptions, SqlWebhookSubscriptions),
    (channel_ports.ChannelPushes, fake_channel_pushes.FakeChannelPushes, SqlChannelPushes),
    (partner_ports.Partners, fake_partners.FakePartners, SqlPartners),
    (partner_ports.EdiDocuments, fake_partners.FakeEdiDocuments, SqlEdiDocuments),
    (partner_ports.ReconciliationRuns, fake_partners.FakeReconciliationRuns, SqlReconciliationRuns),
    (partner_ports.ExceptionQueue, fake_partners.FakeExceptionQueue, SqlExceptionQueue),
    (webhook_ports.OutboundDeliveries, fake_webhooks.FakeOutboundDeliveries, SqlOutboundDeliveries),
    (ports.UnitOfWork, fakes.FakeUnitOfWork, SqlUnitOfWork),
    (ports.UnitOfWorkFactory, fakes.FakeUnitOfWorkFactory, SqlUnitOfWorkFactory),
    (ports.Clock, fakes.FakeClock, SystemClock),
    (ports.IdFactory, fakes.SequentialIds, UlidIds),
    (ports.Geocoder, fakes.FakeGeocoder, ZipCentroids),
]
CASES = [
    pytest.param(port, implementation, id=f"{implementation.__name__}-{port.__name__}")
    for port, fake, real in IMPLEMENTATIONS
    for implementation in (fake, real)
]


def methods(port: Any) -> list[str]:
    return sorted(
        name
        for name, value in vars(port).items()
        if callable(value) and (not name.startswith("_") or name in _PROTOCOL_DUNDERS)
    )


def shape(function: Any) -> list[tuple[str, Any, Any]]:
    """Parameter names, kinds and defaults, without annotations (the fakes name their own types)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(("port", "implementation"), CASES)
def test_an_implementation_offers_every_method_of_its_port_with_the_same_parameters(
    port: Any, implementation: Any
) -> None:
    for name in methods(port):
        assert hasattr(implementation, name), f"{implementation.__name__} lacks {name}"
        assert shape(getattr(implementation, name)) == shape(getattr(port, name)), name


@pytest.mark.parametrize(("port", "implementation"), CASES)
def test_an_implementation_declares_every_attribute_of_its_port(port: Any, implementation: Any) -> None:
    declared = inspect.get_annotations(implementation)
    for name in inspect.get_annotations(port):
        assert name in declared, f"{implementation.__name__} does not declare {name}"


def test_the_fake_unit_of_work_hands_out_a_repository_for_every_port() -> None:
    factory = fakes.FakeUnitOfWorkFactory()
    repositories = {
        "items": ports.ItemRepository,
        "locations": ports.LocationRepository,
        "stock": ports.StockRepository,
        "orders": ports.OrderRepository,
        "outbox": ports.Outbox,
        "audit": ports.AuditLog,
        "idempotency": ports.IdempotencyKeys,
        "api_keys": ports.ApiKeys,
        "relays": ports.RelayPositions,
        "rule_sets": ports.RuleSets,
        "decisions": ports.SourcingDecisions,
        "capacity": ports.CapacityLedger,
        "simulations": ports.SimulationRuns,
        "rate_cards": carrier_ports.RateCardVersions,
        "tracking": carrier_ports.ShipmentTrackingRepository,
        "channels": channel_ports.Channels,
        "webhooks": channel_ports.WebhookDeliveries,
        "channel_orders": channel_ports.ChannelOrders,
        "subscriptions": webhook_ports.WebhookSubscriptions,
        "deliveries": webhook_ports.OutboundDeliveries,
        "channel_pushes": channel_ports.ChannelPushes,
        "partners": partner_ports.Partners,
        "edi_documents": partner_ports.EdiDocuments,
        "reconciliations": partner_ports.ReconciliationRuns,
        "exceptions": partner_ports.ExceptionQueue,
    }

    with factory() as uow:
        assert set(inspect.get_annotations(ports.UnitOfWork)) == set(repositories)
        for name, port in repositories.items():
            repository = getattr(uow, name)
            assert all(callable(getattr(repository, method)) for method in methods(port)), name
