"""Control numbers: ISA13, GS06 and ST02, unique and increasing per trading partner.

The service keeps the last numbers used with each partner and takes the next ones inside the transaction that
records the outbound document, so two documents never share a number.
"""

from __future__ import annotations

from dataclasses import dataclass

MAXIMUM = 999_999_999  # nine digits; after it the numbers start again at 1


def _after(number: int, step: int = 1) -> int:
    """The number `step` places after `number`, wrapping from 999999999 to 1."""
    return (number + step - 1) % MAXIMUM + 1


@dataclass(frozen=True)
class ControlNumbers:
    """The numbers of one interchange holding one group: ISA13, GS06, and ST02 of its first set.

    The group's further sets take the numbers after `first_set`. Raises ValueError for a number outside
    1..999999999 or fewer than one set.
    """

    interchange: int
    group: int
    first_set: int
    sets: int = 1

    def __post_init__(self) -> None:
        for name in ("interchange", "group", "first_set"):
            value = getattr(self, name)
            if not 1 <= value <= MAXIMUM:
                raise ValueError(f"{name} control number {value} is outside 1..{MAXIMUM}")
        if self.sets < 1:
            raise ValueError("an interchange carries at least one transaction set")

    @classmethod
    def first(cls, sets: int = 1) -> ControlNumbers:
        """The numbers of the first interchange sent to a partner."""
        return cls(1, 1, 1, sets)

    @property
    def last_set(self) -> int:
        return _after(self.first_set, self.sets - 1)

    def set_numbers(self) -> tuple[str, ...]:
        """ST02 of each set, at least four digits (`0001`)."""
        return tuple(f"{_after(self.first_set, step):04d}" for step in range(self.sets))

    def next(self, sets: int = 1) -> ControlNumbers:
        """The numbers of the interchange sent after this one, carrying `sets` transaction sets."""
        return ControlNumbers(_after(self.interchange), _after(self.group), _after(self.last_set), sets)
