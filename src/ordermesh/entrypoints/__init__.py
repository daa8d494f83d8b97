"""Entry points: the HTTP API, the CLI and the background worker."""
