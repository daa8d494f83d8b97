"""Ordermesh: an API-first order management system."""

__version__ = "0.1.0"
