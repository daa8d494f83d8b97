"""The relational schema, shared by SQLite and PostgreSQL (Alembic migrations create it)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and read back timezone-aware on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Ordermesh stores timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


TS = UtcDateTime()
MONEY = String(40)  # decimal text: exact on every backend

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS),
)

items = Table(
    "items",
    metadata,
    Column("sku", String(100), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("weight_grams", Integer, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
)

locations = Table(
    "locations",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(30), nullable=False),
    Column("line1", String(200)),
    Column("line2", String(200)),
    Column("city", String(100)),
    Column("region", String(100)),
    Column("postal_code", String(20)),
    Column("country", String(2)),
    Column("lat", Float),
    Column("lon", Float),
    Column("can_ship", Boolean, nullable=False),
    Column("can_pickup", Boolean, nullable=False),
    Column("can_return", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
    # The sourcing profile: groups and tags for rules, the working day, the daily capacity.
    Column("groups", JSON, nullable=False, server_default="[]"),
    Column("tags", JSON, nullable=False, server_default="[]"),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("cutoff", String(5)),
    Column("processing_days", Integer, nullable=False, server_default="0"),
    Column("daily_order_capacity", Integer),
    Column("daily_unit_capacity", Integer),
)

# Capacity a location has used per local working day; a conditional upsert consumes it atomically.
location_capacity = Table(
    "location_capacity",
    metadata,
    Column("location_code", String(64), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("orders", Integer, nullable=False),
    Column("units", Integer, nullable=False),
    CheckConstraint("orders >= 0 AND units >= 0", name="usage_not_negative"),
)

stock = Table(
    "stock",
    metadata,
    Column("location_code", String(64), ForeignKey("locations.code"), primary_key=True),
    Column("sku", String(100), ForeignKey("items.sku"), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("safety_stock", Integer, nullable=False),
    Column("as_of", TS),  # watermark: the newest count applied to the row
    Column("updated_at", TS, nullable=False),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("safety_stock >= 0", name="safety_not_negative"),
    Index("ix_stock_sku", "sku"),
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("location_code", String(64), nullable=False),
    Column("sku", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("on_hand_delta", Integer, nullable=False),
    Column("reserved_delta", Integer, nullable=False),
    Column("on_hand_after", Integer),
    Column("reason", String(300), nullable=False),
    Column("reference", String(100)),
    Column("at", TS, nullable=False),
    Index("ix_stock_movements_sku_location", "sku", "location_code", "id"),
    Index("ix_stock_movements_location", "location_code", "id"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("channel", String(200), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("customer", JSON, nullable=False),
    Column("ship_to", JSON),
    Column("delivery_method", String(10), nullable=False),
    Column("pickup_location", String(64)),
    Column("service_level", String(50)),
    Column("shipping_total", MONEY, nullable=False),
    Column("tax_total", MONEY, nullable=False),
    Column("discount_total", MONEY, nullable=False),
    Column("payment_status", String(20), nullable=False),
    Column("placed_at", TS, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("hold_reason", String(200)),
    # A copy of the derived status, rewritten with every save, so lists can filter on it.
    Column("status", String(30), nullable=False),
    UniqueConstraint("channel", "external_id", name="uq_orders_channel_external_id"),
    Index("ix_orders_status", "status", "id"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("external_id", String(200)),
    Column("sku", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", MONEY, nullable=False),
    Column("unallocated", Integer, nullable=False),
    Column("allocated", Integer, nullable=False),
    Column("backordered", Integer, nullable=False),
    Column("shipped", Integer, nullable=False),
    Column("delivered", Integer, nullable=False),
    Column("cancelled", Integer, nullable=False),
    Column("exception", String(300)),
    CheckConstraint(
        "unallocated >= 0 AND allocated >= 0 AND backordered >= 0 AND shipped >= 0 AND delivered >= 0 "
        "AND cancelled >= 0 AND unallocated + allocated + backordered + shipped + delivered + cancelled = quantity",
        name="buckets_partition_quantity",
    ),
    Index("ix_order_lines_order", "order_id"),
    # Only lines waiting for stock are indexed: the index stays small and most writes skip it.
    Index(
        "ix_order_lines_backordered_sku",
        "sku",
        postgresql_where=text("backordered > 0"),
        sqlite_where=text("backordered > 0"),
    ),
)

fulfillment_orders = Table(
    "fulfillment_orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("location_code", String(64), nullable=False),
    Column("status", String(30), nullable=False),
    Column("reason", String(500)),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_fulfillment_orders_order", "order_id"),
    Index("ix_fulfillment_orders_location_status", "location_code", "status", "id"),
)

fulfillment_lines = Table(
    "fulfillment_lines",
    metadata,
    Column("fulfillment_order_id", String(40), ForeignKey("fulfillment_orders.id"), primary_key=True),
    Column("order_line_id", String(40), ForeignKey("order_lines.id"), primary_key=True),
    Column("position", Integer, nullable=False, server_default="0"),  # the order the lines were taken in
    Column("sku", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("shipped", Integer, nullable=False),
    Column("delivered", Integer, nullable=False),
    Column("cancelled", Integer, nullable=False),
    CheckConstraint("shipped + cancelled <= quantity AND delivered <= shipped", name="units_within_quantity"),
)

shipments = Table(
    "shipments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("fulfillment_order_id", String(40), ForeignKey("fulfillment_orders.id"), nullable=False),
    Column("carrier", String(100), nullable=False),
    Column("tracking_number", String(100), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("shipped_at", TS, nullable=False),
    Index("ix_shipments_fulfillment_order", "fulfillment_order_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    # PostgreSQL: the writing transaction's id, so the feed only serves what every reader can see.
    Column("txid", BigInteger, nullable=False, server_default="0"),
    Column("event_id", String(40), nullable=False),  # unique by construction (a ULID); not indexed
    Column("type", String(100), nullable=False),
    Column("source", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("time", TS, nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_outbox_txid_id", "txid", "id"),
)

# How far each relay (a publisher of the outbox to a broker or webhooks) has got in the feed. Relays
# tail the outbox like any feed reader, so publishing an event writes nothing per event.
relay_positions = Table(
    "relay_positions",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("cursor", String(200)),
    Column("updated_at", TS, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("at", TS, nullable=False),
    Column("actor_id", String(40), nullable=False),
    Column("actor_name", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("entity", String(50), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
    Index("ix_audit_log_entity", "entity", "entity_id", "id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(50), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("resource_id", String(40), nullable=False),
    Column("created_at", TS, nullable=False),
)

# Sourcing rule sets: versions of a data document; at most one is active.
sourcing_rule_sets = Table(
    "sourcing_rule_sets",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(20), nullable=False),  # draft, active, archived
    Column("document", JSON, nullable=False),
    Column("note", String(500)),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("activated_at", TS),
    Column("archived_at", TS),
    UniqueConstraint("name", "version", name="uq_sourcing_rule_sets_name_version"),
    Index(
        "uq_sourcing_rule_sets_one_active",
        "status",
        unique=True,
        postgresql_where=text("status = 'active'"),
        sqlite_where=text("status = 'active'"),
    ),
)

# Every activation of a rule-set version, oldest first. A roll back marks the newest standing activation
# rolled back and re-activates the version of the one before it, so each roll back goes one further back.
sourcing_rule_set_activations = Table(
    "sourcing_rule_set_activations",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("rule_set_id", String(40), ForeignKey("sourcing_rule_sets.id"), nullable=False),
    Column("activated_at", TS, nullable=False),
    Column("rolled_back_at", TS),
)

# Every sourcing decision with its explanation (candidates, eliminations, costs, runner-up).
sourcing_decisions = Table(
    "sourcing_decisions",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("order_id", String(40), nullable=False),
    Column("trigger", String(30), nullable=False),
    Column("rule_set_id", String(40)),
    Column("decided_at", TS, nullable=False),
    Column("explanation", JSON, nullable=False),
    Index("ix_sourcing_decisions_order", "order_id", "id"),
)

# Sourcing sandbox runs: parameters in, KPIs out; the state lives here so any process can answer for a run.
sourcing_simulations = Table(
    "sourcing_simulations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(20), nullable=False),  # queued, running, done, failed
    Column("parameters", JSON, nullable=False),
    Column("result", JSON),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("finished_at", TS),
    Column("error", String(2000)),
    # The process holding a queued or running run refreshes its heartbeat; a stale one is failed as abandoned.
    Column("runner", String(200)),
    Column("heartbeat_at", TS),
    Column("started_at", TS),
    Column("plans_made", Integer),
    Column("plans_to_make", Integer),
    Column("retry_of", String(40)),
)
# The sandbox reads orders by placed_at and the ledger by time.
Index("ix_orders_placed_at", orders.c.placed_at, orders.c.id)
Index("ix_stock_movements_at", stock_movements.c.at)
# Finding abandoned runs reads the few unfinished ones by heartbeat.
Index("ix_sourcing_simulations_heartbeat", sourcing_simulations.c.status, sourcing_simulations.c.heartbeat_at)
# A failed run is retried once: a second retry (a double click, a client's retry) is told of the first.
Index("ux_sourcing_simulations_retry_of", sourcing_simulations.c.retry_of, unique=True)

# Sales channel instances (`shopify:<shop>`, `woocommerce:<site>`) and the secret their webhooks are signed with.
# The secret is stored as given: checking an HMAC needs it, and no key to encrypt it at rest is configured yet.
channels = Table(
    "channels",
    metadata,
    Column("channel", String(200), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("webhook_secret", String(500), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    # What the channel's API takes for status pushes (an access token, a consumer key and secret); {}: none.
    Column("api_credentials", JSON, nullable=False, server_default=text("'{}'")),
)

# Webhook deliveries already processed, so that a channel's re-delivery is answered without acting twice.
channel_webhooks = Table(
    "channel_webhooks",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("channel", String(200), nullable=False),
    Column("webhook_id", String(100), nullable=False),
    Column("topic", String(100), nullable=False),
    Column("outcome", String(30), nullable=False),
    Column("order_id", String(40)),
    Column("detail", String(500)),
    Column("received_at", TS, nullable=False),
    UniqueConstraint("channel", "webhook_id", name="uq_channel_webhooks_channel_webhook_id"),
    Index("ix_channel_webhooks_channel", "channel", "id"),
)

# Each channel order's last picture as applied: when it changed on the channel, the canonical state that the
# next change is compared with, and the details the order itself has no field for.
channel_orders = Table(
    "channel_orders",
    metadata,
    Column("channel", String(200), primary_key=True),
    Column("external_id", String(200), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("source_updated_at", TS),
    Column("state", JSON, nullable=False),
    Column("details", JSON, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# Outbound webhook subscriptions: where to POST which events, and the Standard Webhooks secret that signs them.
# The secret is stored as given: signing needs the key itself (as for channels, nothing encrypts it at rest yet).
webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("description", String(500)),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# One row per (event, subscription): the event as it is sent, where its delivery stands, the latest attempts.
# `id` is the queue order: per (subscription, subject) only the lowest waiting id is sent.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("subscription_id", String(40), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("event_cursor", String(200), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("event_source", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("event_time", TS, nullable=False),
    Column("data", JSON, nullable=False),
    Column("status", String(20), nullable=False),  # pending, failed, delivered, dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TS, nullable=False),
    Column("leased_until", TS),
    Column("last_attempt_at", TS),
    Column("last_status_code", Integer),
    Column("last_error", String(500)),
    Column("delivered_at", TS),
    Column("log", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
    Index("ix_webhook_deliveries_queue", "subscription_id", "subject", "id"),
    # The dispatcher's scan: only waiting deliveries are in this index.
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        postgresql_where=text("status IN ('pending', 'failed')"),
        sqlite_where=text("status IN ('pending', 'failed')"),
    ),
)

# Status updates on their way to the channel an order came from: one row per (channel, event), with where it
# stands. `id` is the queue order: per (channel, order) only the lowest waiting id is sent.
channel_pushes = Table(
    "channel_pushes",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("channel", String(200), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("update", JSON, nullable=False),
    Column("status", String(20), nullable=False),  # pending, failed, done, dead, skipped
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TS, nullable=False),
    Column("leased_until", TS),
    Column("last_attempt_at", TS),
    Column("last_error", String(500)),
    Column("reference", String(200)),
    Column("done_at", TS),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("channel", "event_id", name="uq_channel_pushes_channel_event_id"),
    Index("ix_channel_pushes_channel", "channel", "id"),
    Index("ix_channel_pushes_queue", "channel", "order_id", "id"),
    Index(
        "ix_channel_pushes_due",
        "next_attempt_at",
        postgresql_where=text("status IN ('pending', 'failed')"),
        sqlite_where=text("status IN ('pending', 'failed')"),
    ),
)

# Trading partners: a WMS, 3PL, drop-ship vendor or ERP, how it speaks (X12 identities, version, delimiters, or
# JSON), how documents travel (a directory pair, SFTP, HTTPS), the locations it serves. `identity` is the
# partner's ISA qualifier and id (`ZZ:ACMEWMS`), unique so an inbound interchange names one partner.
# `secrets` (an SFTP password, an HTTPS token) are never returned; stored as given, as channels' are.
partners = Table(
    "partners",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("protocol", String(10), nullable=False),
    Column("x12", JSON),
    Column("transport", JSON, nullable=False),
    Column("secrets", JSON, nullable=False),
    Column("locations", JSON, nullable=False),
    Column("identity", String(40)),
    Column("active", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("identity", name="uq_partners_identity"),
)

# The last control numbers used with each partner (ISA13, GS06, ST02); taken under a row lock.
edi_control_numbers = Table(
    "edi_control_numbers",
    metadata,
    Column("partner_id", String(40), primary_key=True),
    Column("interchange", Integer, nullable=False),
    Column("group_number", Integer, nullable=False),
    Column("set_number", Integer, nullable=False),
)

# Every EDI document in and out: raw text, parsed form, status and errors. `dedupe_key` (the hash of a set's
# content without its envelope, or our own document number) makes the same document received twice one row.
edi_documents = Table(
    "edi_documents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("partner_id", String(40)),
    Column("direction", String(3), nullable=False),  # in, out
    Column("type", String(40), nullable=False),  # 940, 945, 846, 944, 850, 855, 856, 810, 997, json:shipment, ...
    Column("status", String(20), nullable=False),
    Column("control_number", String(20)),
    Column("dedupe_key", String(64), nullable=False),
    Column("reference", String(100)),
    Column("order_id", String(40)),
    Column("fulfillment_order_id", String(40)),
    Column("raw", Text, nullable=False),
    Column("parsed", JSON),
    Column("errors", JSON, nullable=False),
    Column("acknowledgement_id", String(40)),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("partner_id", "direction", "dedupe_key", name="uq_edi_documents_dedupe"),
    Index("ix_edi_documents_listing", "direction", "type", "status", "id"),
    Index("ix_edi_documents_fulfillment_order", "fulfillment_order_id"),
    Index("ix_edi_documents_reference", "partner_id", "direction", "type", "reference"),
)

# Carrier rate cards: versions of one data document (carriers, services, zones, weight tiers, surcharges);
# the highest version is the one rate shopping uses.
carrier_rate_cards = Table(
    "carrier_rate_cards",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", JSON, nullable=False),
    Column("note", String(500)),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
)

# Where each shipment stands as its carrier reports it; a row appears with the shipment's first tracking event.
shipment_tracking = Table(
    "shipment_tracking",
    metadata,
    Column("shipment_id", String(40), ForeignKey("shipments.id"), primary_key=True),
    Column("fulfillment_order_id", String(40), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("carrier", String(100), nullable=False),
    Column("tracking_number", String(100), nullable=False),
    Column("status", String(30), nullable=False),  # label_created, in_transit, ..., exception, returned
    Column("status_at", TS),  # event time of the event that set the status
    Column("reached", String(30), nullable=False),  # the furthest status along the way
    Column("last_event_at", TS),
    Column("location", String(300)),
    Column("description", String(500)),
    Column("carrier_status", String(100)),
    Column("exception_reason", String(500)),
    Column("updated_at", TS, nullable=False),
    Index("ix_shipment_tracking_fulfillment_order", "fulfillment_order_id"),
    Index("ix_shipment_tracking_status", "status", "shipment_id"),
)

# Every carrier event received, once: (shipment, event key) is unique, so a re-sent event has no second effect.
tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("shipment_id", String(40), ForeignKey("shipments.id"), nullable=False),
    Column("event_key", String(200), nullable=False),
    Column("status", String(30)),  # None: the carrier's status says nothing about progress
    Column("carrier_status", String(100), nullable=False),
    Column("event_time", TS, nullable=False),
    Column("location", String(300)),
    Column("description", String(500)),
    Column("reason", String(500)),
    Column("changed", Boolean, nullable=False),
    Column("received_at", TS, nullable=False),
    UniqueConstraint("shipment_id", "event_key", name="uq_tracking_events_shipment_id_event_key"),
)
# Carriers name a shipment by its tracking number.
Index("ix_shipments_tracking_number", shipments.c.tracking_number)

# Reconciliation runs: the checks made (inventory against partners' snapshots, vendor invoices against purchase
# orders), the tolerances, a summary and every discrepancy beyond them with its evidence.
reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(20), nullable=False),  # running, done, failed
    Column("checks", JSON, nullable=False),
    Column("tolerances", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("discrepancies", JSON, nullable=False),
    Column("error", String(2000)),
    Column("started_at", TS, nullable=False),
    Column("finished_at", TS),
)

# The exception queue: one open row per thing that needs a person (`dedupe_key`: the same problem raised again
# adds an occurrence and fresh evidence to the open row), with its evidence and, once resolved, how.
exceptions = Table(
    "exceptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("summary", String(1000), nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("status", String(20), nullable=False),  # open, resolved
    Column("dedupe_key", String(300), nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("raised_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("resolved_at", TS),
    Column("resolved_by", String(200)),
    Column("resolution", String(1000)),
    Index("ix_exceptions_queue", "status", "kind", "id"),
    Index(
        "ux_exceptions_open_key",
        "dedupe_key",
        unique=True,
        postgresql_where=text("status = 'open'"),
        sqlite_where=text("status = 'open'"),
    ),
)
