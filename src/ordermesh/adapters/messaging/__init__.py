"""Messaging: events from the outbox to brokers (NATS JetStream)."""
