"""The connectors Ordermesh ships with, by channel kind; the composition root hands them to the use cases."""

from __future__ import annotations

from ordermesh.adapters.channels.shopify import ShopifyConnector
from ordermesh.adapters.channels.woocommerce import WooCommerceConnector
from ordermesh.services.connectors import ChannelConnector


def channel_connectors() -> dict[str, ChannelConnector]:
    """One connector per kind (`shopify`, `woocommerce`); a new channel kind is one more entry here."""
    connectors: list[ChannelConnector] = [ShopifyConnector(), WooCommerceConnector()]
    return {connector.kind: connector for connector in connectors}
