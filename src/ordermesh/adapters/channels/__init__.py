"""Sales channel connectors: inbound webhooks from Shopify and WooCommerce, mapped to Ordermesh's commands."""
