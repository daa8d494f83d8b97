"""Sales channels: configured instances, processed webhook deliveries and each channel order's last picture."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db.paging import page_by_text_key, page_newest_first
from ordermesh.adapters.db.tables import channel_orders, channel_webhooks, channels
from ordermesh.services.channel_ports import ChannelOrderRecord, ChannelRecord, WebhookRecord
from ordermesh.services.ports import DuplicateKey, Page

# Built once: every webhook runs these, and a statement built per call costs more than its execution.
_GET_CHANNEL = select(channels).where(channels.c.channel == bindparam("channel"))
_GET_DELIVERY = select(channel_webhooks).where(
    channel_webhooks.c.channel == bindparam("channel"), channel_webhooks.c.webhook_id == bindparam("webhook_id")
)
_INSERT_DELIVERY = insert(channel_webhooks)
_GET_CHANNEL_ORDER = select(channel_orders).where(
    channel_orders.c.channel == bindparam("channel"), channel_orders.c.external_id == bindparam("external_id")
)
_PICTURE = ("order_id", "source_updated_at", "state", "details", "updated_at")


def _upsert_picture(dialect: Any) -> Any:
    """INSERT ... ON CONFLICT (channel, external_id) DO UPDATE: one statement whether the row exists or not."""
    statement = dialect.insert(channel_orders)
    return statement.on_conflict_do_update(
        index_elements=[channel_orders.c.channel, channel_orders.c.external_id],
        set_={name: statement.excluded[name] for name in _PICTURE},
    )


_PUT_PICTURE = {"sqlite": _upsert_picture(sqlite), "postgresql": _upsert_picture(postgresql)}


class SqlChannels:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, record: ChannelRecord) -> None:
        try:
            self.conn.execute(insert(channels).values(**_channel_row(record)))
        except IntegrityError as exc:
            raise DuplicateKey(record.channel) from exc

    def get(self, channel: str) -> ChannelRecord | None:
        row = self.conn.execute(_GET_CHANNEL, {"channel": channel}).first()
        return _channel(row._mapping) if row else None

    def save(self, record: ChannelRecord) -> None:
        values = _channel_row(record)
        del values["channel"], values["created_at"]
        self.conn.execute(update(channels).where(channels.c.channel == record.channel).values(**values))

    def page(self, *, after: str | None, limit: int) -> Page:
        return Page(*page_by_text_key(self.conn, channels, channels.c.channel, after=after, limit=limit, read=_channel))


def _channel_row(record: ChannelRecord) -> dict[str, Any]:
    return {
        "channel": record.channel,
        "kind": record.kind,
        "webhook_secret": record.webhook_secret,
        "settings": record.settings,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "api_credentials": record.api_credentials,
    }


def _channel(row: Any) -> ChannelRecord:
    return ChannelRecord(
        row["channel"],
        row["kind"],
        row["webhook_secret"],
        dict(row["settings"]),
        row["created_at"],
        row["updated_at"],
        dict(row["api_credentials"] or {}),
    )


class SqlWebhookDeliveries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, record: WebhookRecord) -> None:
        # Like an order's insert, a duplicate fails the whole transaction: a concurrent delivery of the same
        # webhook has done its work already.
        try:
            self.conn.execute(
                _INSERT_DELIVERY,
                {
                    "channel": record.channel,
                    "webhook_id": record.webhook_id,
                    "topic": record.topic,
                    "outcome": record.outcome,
                    "order_id": record.order_id,
                    "detail": record.detail,
                    "received_at": record.received_at,
                },
            )
        except IntegrityError as exc:
            raise DuplicateKey(f"{record.channel}/{record.webhook_id}") from exc

    def get(self, channel: str, webhook_id: str) -> WebhookRecord | None:
        row = self.conn.execute(_GET_DELIVERY, {"channel": channel, "webhook_id": webhook_id}).first()
        return _delivery(row._mapping) if row else None

    def page(self, channel: str, *, after: str | None, limit: int) -> Page:
        where = channel_webhooks.c.channel == channel
        return Page(*page_newest_first(self.conn, channel_webhooks, where, after=after, limit=limit, read=_delivery))


def _delivery(row: Any) -> WebhookRecord:
    return WebhookRecord(
        row["channel"],
        row["webhook_id"],
        row["topic"],
        row["outcome"],
        row["order_id"],
        row["received_at"],
        row["detail"],
    )


class SqlChannelOrders:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, channel: str, external_id: str) -> ChannelOrderRecord | None:
        row = self.conn.execute(_GET_CHANNEL_ORDER, {"channel": channel, "external_id": external_id}).first()
        if row is None:
            return None
        return ChannelOrderRecord(
            row.channel,
            row.external_id,
            row.order_id,
            row.source_updated_at,
            dict(row.state),
            dict(row.details),
            row.updated_at,
        )

    def put(self, record: ChannelOrderRecord) -> None:
        self.conn.execute(
            _PUT_PICTURE[self.conn.dialect.name],
            {
                "channel": record.channel,
                "external_id": record.external_id,
                "order_id": record.order_id,
                "source_updated_at": record.source_updated_at,
                "state": record.state,
                "details": record.details,
                "updated_at": record.updated_at,
            },
        )
