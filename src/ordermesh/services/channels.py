"""Channel configuration: which shops and sites may send orders, and the secrets their webhooks are signed with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import AlreadyExists, InvalidInput, NotFound
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.context import AppContext
from ordermesh.services.ports import DuplicateKey, Page, UnitOfWork


@dataclass(frozen=True)
class AddChannel:
    """`channel` is `<kind>:<instance>`, the instance being the shop's or site's domain (`acme.myshopify.com`)."""

    channel: str
    kind: str
    webhook_secret: str
    settings: Mapping[str, Any]
    api_credentials: Mapping[str, str] = field(default_factory=dict)  # for status pushes; none: no pushes


def split_channel(channel: str) -> tuple[str, str]:
    """(kind, instance) of `shopify:acme.myshopify.com`."""
    kind, _, instance = channel.partition(":")
    return kind, instance


def public_view(record: ChannelRecord) -> dict[str, Any]:
    """What may be shown of a channel (in the API, the CLI and the audit log): everything but its secret."""
    kind, instance = split_channel(record.channel)
    return {
        "channel": record.channel,
        "kind": record.kind,
        "settings": record.settings,
        "webhook_path": f"/v1/channels/{kind}/{instance}/webhooks",
        "api_credentials": sorted(record.api_credentials),  # their names: which are set, never the values
    }


def add_channel(ctx: AppContext, *, command: AddChannel, actor: Principal) -> ChannelRecord:
    """Configure a channel instance for inbound webhooks.

    Raises InvalidInput when no connector serves the kind or the channel is not `<kind>:<instance>`,
    AlreadyExists when the channel is configured.
    """
    kind, instance = split_channel(command.channel)
    if command.kind not in ctx.connectors:
        known = ", ".join(sorted(ctx.connectors)) or "none"
        raise InvalidInput(f"no connector for kind '{command.kind}' (known: {known})", field=("kind",))
    if kind != command.kind or not instance:
        raise InvalidInput(f"channel must be '{command.kind}:<shop or site domain>'", field=("channel",))
    _check_credentials(ctx, command.kind, command.api_credentials)
    now = ctx.clock.now()
    settings = dict(command.settings)
    record = ChannelRecord(
        command.channel, command.kind, command.webhook_secret, settings, now, now, dict(command.api_credentials)
    )

    def work(uow: UnitOfWork) -> ChannelRecord:
        if uow.channels.get(record.channel) is not None:
            raise AlreadyExists("channel", record.channel)
        uow.channels.add(record)
        _audit(uow, actor, "channel.create", record, None, public_view(record))
        return record

    try:
        return ctx.transaction(work)
    except DuplicateKey:
        raise AlreadyExists("channel", record.channel) from None


def update_channel(
    ctx: AppContext,
    *,
    channel: str,
    webhook_secret: str | None,
    settings: Mapping[str, Any] | None,
    actor: Principal,
    api_credentials: Mapping[str, str] | None = None,
) -> ChannelRecord:
    """Rotate a channel's webhook secret or API credentials ({}: no more pushes) and/or replace its settings.

    Raises NotFound for an unknown channel, InvalidInput for credentials its kind does not take.
    """

    def work(uow: UnitOfWork) -> ChannelRecord:
        stored = uow.channels.get(channel)
        if stored is None:
            raise NotFound("channel", channel)
        if api_credentials is not None:
            _check_credentials(ctx, stored.kind, api_credentials)
        changed = replace(
            stored,
            webhook_secret=webhook_secret if webhook_secret is not None else stored.webhook_secret,
            settings=dict(settings) if settings is not None else stored.settings,
            api_credentials=dict(api_credentials) if api_credentials is not None else stored.api_credentials,
            updated_at=ctx.clock.now(),
        )
        uow.channels.save(changed)
        after = {
            **public_view(changed),
            "webhook_secret_rotated": webhook_secret is not None,
            "api_credentials_replaced": api_credentials is not None,
        }
        _audit(uow, actor, "channel.update", changed, public_view(stored), after)
        return changed

    return ctx.transaction(work)


def _check_credentials(ctx: AppContext, kind: str, credentials: Mapping[str, str]) -> None:
    """Credentials are none at all, or exactly the names the kind's connector takes, each given."""
    if not credentials:
        return
    wanted = ctx.connectors[kind].credential_names
    for name in sorted(credentials):
        if name not in wanted:
            raise InvalidInput(
                f"{kind} takes no credential '{name}' (it takes {', '.join(wanted)})", field=("api_credentials", name)
            )
    for name in wanted:
        if not credentials.get(name):
            raise InvalidInput(f"{kind} status pushes need '{name}'", field=("api_credentials", name))


def get_channel(ctx: AppContext, channel: str) -> ChannelRecord:
    """Raises NotFound for an unknown channel."""
    record = ctx.read(lambda uow: uow.channels.get(channel))
    if record is None:
        raise NotFound("channel", channel)
    return record


def list_channels(ctx: AppContext, *, after: str | None, limit: int) -> Page:
    return ctx.read(lambda uow: uow.channels.page(after=after, limit=limit))


def _audit(
    uow: UnitOfWork, actor: Principal, action: str, record: ChannelRecord, before: Any, after: dict[str, Any]
) -> None:
    uow.audit.record(
        actor=actor,
        action=action,
        entity="channel",
        entity_id=record.channel,
        before=before,
        after=after,
        at=record.updated_at,
    )
