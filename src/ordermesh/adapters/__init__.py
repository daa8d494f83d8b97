"""Adapters: everything that talks to the outside world, one module per system."""
