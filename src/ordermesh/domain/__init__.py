"""Pure domain model: entities, value objects, rules and sourcing math (no I/O)."""
