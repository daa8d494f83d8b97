"""Tell database errors apart the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError


def is_unique_violation(exc: IntegrityError) -> bool:
    """True for a duplicate key; False for other constraint failures (foreign key, check, not null)."""
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(exc.orig)
