"""How an order's own amounts (tax, shipping, discount) are shared out over the units it ships and cancels.

Every unit of an order carries a share of each order-level amount in proportion to its price, against the
goods value of the order as placed (every line's quantity times its unit price; an order whose goods cost
nothing shares by units instead). The shares are never rounded one by one: the units shipped so far, in the
order their shipments were recorded, carry `share(amount, value shipped so far)`, rounded half up to the
currency's minor unit, and an invoice takes the difference between that figure after its shipment and before
it. So the invoices of an order always add up to the share of everything shipped, the shipment that ships its
last units takes whatever rounding left over, and a fully shipped order is invoiced its amounts exactly.

Cancelled units carry the complement: what the units that were not cancelled do not take. Whatever mix of
shipments and cancellations closes an order, the shares invoiced and the shares cancelled add up to the
order's amounts to the last minor unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ordermesh.domain.money import minor_units

ZERO = Decimal(0)


def quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal exponent (`0.01` for USD, `1` for JPY)."""
    return Decimal(1).scaleb(-minor_units(currency))


@dataclass(frozen=True)
class Charges:
    """The amounts an ERP document carries besides its goods: discount, tax and shipping."""

    discount: Decimal = ZERO
    tax: Decimal = ZERO
    shipping: Decimal = ZERO

    def __sub__(self, other: Charges) -> Charges:
        return Charges(self.discount - other.discount, self.tax - other.tax, self.shipping - other.shipping)


@dataclass(frozen=True)
class OrderValue:
    """The weights the order's amounts are shared by: each line's unit price (or 1 when the goods are free)."""

    weights: Mapping[str, Decimal]  # per order line id, the weight of one unit
    whole: Decimal  # the weight of every unit ordered
    amounts: Charges
    currency: str

    @classmethod
    def of(cls, lines: Sequence[tuple[str, int, Decimal]], amounts: Charges, currency: str) -> OrderValue:
        """From (order line id, quantity ordered, unit price) per line and the order's own amounts."""
        value = sum((price * quantity for _, quantity, price in lines), ZERO)
        if value > 0:
            weights = {line_id: price for line_id, _, price in lines}
        else:
            weights = {line_id: Decimal(1) for line_id, _, _ in lines}
            value = Decimal(sum(quantity for _, quantity, _ in lines))
        return cls(weights, value, amounts, currency)

    def value(self, units: Mapping[str, int]) -> Decimal:
        """The weight of some units per order line id."""
        return sum((self.weights[line_id] * quantity for line_id, quantity in units.items()), ZERO)

    def shipped_share(self, units: Mapping[str, int]) -> Charges:
        """What these units carry when they are the units shipped so far (rounded half up, cumulatively)."""
        part = self.value(units)
        return Charges(*(self._share(amount, part) for amount in self._amounts()))

    def cancelled_share(self, units: Mapping[str, int]) -> Charges:
        """What these units carry when they are the units cancelled so far: what every other unit does not."""
        rest = self.whole - self.value(units)
        return Charges(*(amount - self._share(amount, rest) for amount in self._amounts()))

    def _amounts(self) -> tuple[Decimal, Decimal, Decimal]:
        return self.amounts.discount, self.amounts.tax, self.amounts.shipping

    def _share(self, amount: Decimal, part: Decimal) -> Decimal:
        if part >= self.whole:
            return amount
        if part <= 0 or self.whole <= 0:
            return ZERO.quantize(quantum(self.currency))
        return (amount * part / self.whole).quantize(quantum(self.currency), rounding=ROUND_HALF_UP)


def spread(amount: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split an amount over weights (a document's lines by their value), rounded cumulatively as the order's
    shares are: the parts add up to the amount exactly. Equal weights when every weight is 0."""
    if not weights:
        return []
    if sum(weights, ZERO) <= 0:
        weights = [Decimal(1)] * len(weights)
    whole = sum(weights, ZERO)
    parts: list[Decimal] = []
    running, taken = ZERO, ZERO.quantize(quantum(currency))
    for weight in weights[:-1]:
        running += weight
        upto = (amount * running / whole).quantize(quantum(currency), rounding=ROUND_HALF_UP)
        parts.append(upto - taken)
        taken = upto
    parts.append(amount - taken)
    return parts
