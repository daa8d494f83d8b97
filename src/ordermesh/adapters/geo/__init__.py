"""Geocoding: postal codes to points."""
