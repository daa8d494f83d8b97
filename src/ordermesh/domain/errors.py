"""Named domain errors that carry the data a caller needs to explain them."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    title = "Domain rule violated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """A referenced entity does not exist."""

    title = "Not found"

    def __init__(self, entity: str, key: str) -> None:
        super().__init__(f"{entity} '{key}' does not exist")
        self.entity = entity
        self.key = key


class AlreadyExists(DomainError):
    """An entity with the same natural key exists already."""

    title = "Already exists"

    def __init__(self, entity: str, key: str) -> None:
        super().__init__(f"{entity} '{key}' already exists")
        self.entity = entity
        self.key = key


class InvalidInput(DomainError):
    """A value breaks a domain rule that no schema can express."""

    title = "Invalid input"

    def __init__(self, detail: str, *, field: tuple[str | int, ...] = ()) -> None:
        super().__init__(detail)
        self.field = field


class IllegalTransition(DomainError):
    """A state machine was asked for a move it does not allow."""

    title = "Illegal state transition"

    def __init__(self, entity: str, entity_id: str, state: str, action: str) -> None:
        super().__init__(f"{entity} {entity_id} is {state}; cannot {action}")
        self.entity = entity
        self.entity_id = entity_id
        self.state = state
        self.action = action


@dataclass(frozen=True)
class Excess:
    """A requested quantity beyond what a line or fulfilment line allows."""

    line_id: str
    requested: int
    allowed: int


class QuantityConflict(DomainError):
    """A cancel or ship asks for more units than are in the right state."""

    title = "Quantity conflict"

    def __init__(self, action: str, excesses: list[Excess]) -> None:
        parts = ", ".join(f"line {e.line_id}: asked {e.requested}, at most {e.allowed}" for e in excesses)
        super().__init__(f"cannot {action} — {parts}")
        self.action = action
        self.excesses = excesses


class IdempotencyConflict(DomainError):
    """An idempotency key was reused for a different request."""

    title = "Idempotency key reused"

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key '{key}' was already used with a different request body")
        self.key = key


class ConcurrentUpdate(DomainError):
    """A concurrent change made this one impossible to apply; retrying may succeed."""

    title = "Concurrent update"
