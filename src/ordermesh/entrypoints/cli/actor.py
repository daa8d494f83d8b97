"""Who the audit log names for a change made from the command line."""

from __future__ import annotations

import getpass

from ordermesh.domain.access import Principal, Role


def cli_actor() -> Principal:
    """The operating-system user running the command, with the admin role (the CLI runs next to the database)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown user"
    return Principal("cli", f"cli ({user})", Role.ADMIN)
