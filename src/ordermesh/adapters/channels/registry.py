"""The connectors Ordermesh ships with, by channel kind; the composition root hands them to the use cases."""

from __future__ import annotations

import httpx

from ordermesh.adapters.channels.shopify import ShopifyConnector
from ordermesh.adapters.channels.shopify_push import ShopifyStatusClient
from ordermesh.adapters.channels.woocommerce import WooCommerceConnector
from ordermesh.adapters.channels.woocommerce_push import WooCommerceStatusClient
from ordermesh.services.connectors import ChannelConnector, ChannelStatusClient


def channel_connectors() -> dict[str, ChannelConnector]:
    """One connector per kind (`shopify`, `woocommerce`); a new channel kind is one more entry here."""
    connectors: list[ChannelConnector] = [ShopifyConnector(), WooCommerceConnector()]
    return {connector.kind: connector for connector in connectors}


def status_clients(http: httpx.Client) -> dict[str, ChannelStatusClient]:
    """One status client per kind, sharing one HTTP client (its connection pool)."""
    clients: list[ChannelStatusClient] = [ShopifyStatusClient(http), WooCommerceStatusClient(http)]
    return {client.kind: client for client in clients}
