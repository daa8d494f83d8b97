"""The HTTP API (FastAPI): routes translate between JSON and the use cases."""
