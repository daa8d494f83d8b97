"""The `ordermesh` command line (Typer + Rich)."""
