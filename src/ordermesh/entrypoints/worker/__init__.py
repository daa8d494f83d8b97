"""Background loops: the outbox relay and the backorder sweep."""
