"""Printable documents rendered from domain objects (PDF)."""
