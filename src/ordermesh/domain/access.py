"""Who may do what: API key roles and the permissions each one grants."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    INTEGRATION = "integration"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # every GET
    CAPTURE_ORDERS = "capture_orders"  # create orders (channels, imports)
    MANAGE_ORDERS = "manage_orders"  # hold, release, cancel
    FULFIL = "fulfil"  # accept, reject, ship, pickup, deliver
    MANAGE_INVENTORY = "manage_inventory"  # stock counts, adjustments, snapshots
    MANAGE_CATALOG = "manage_catalog"  # items and locations
    ADMINISTER = "administer"  # API keys and other security settings


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPERATOR: frozenset(
        {
            Permission.READ,
            Permission.CAPTURE_ORDERS,
            Permission.MANAGE_ORDERS,
            Permission.FULFIL,
            Permission.MANAGE_INVENTORY,
            Permission.MANAGE_CATALOG,
        }
    ),
    Role.INTEGRATION: frozenset(
        {
            Permission.READ,
            Permission.CAPTURE_ORDERS,
            Permission.FULFIL,
            Permission.MANAGE_INVENTORY,
            Permission.MANAGE_CATALOG,
        }
    ),
    Role.VIEWER: frozenset({Permission.READ}),
}


@dataclass(frozen=True)
class Principal:
    """The caller of a use case: an API key, or the system itself for jobs and the CLI."""

    id: str
    name: str
    role: Role

    def may(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]


SYSTEM = Principal("system", "system", Role.ADMIN)
