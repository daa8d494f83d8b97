"""Who a document names: parties (the N1 loop: N1 name and code, N3 street, N4 city/state/postal code/country),
carriers (W66, W27, TD5) and reference numbers (N9, REF).

Every set we exchange names them the same way, so they are written and read here once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.domain.catalog import Address
from ordermesh.domain.edi.fields import Fields, Located
from ordermesh.domain.edi.model import Segment, segment

SHIP_TO = "ST"
SHIP_FROM = "SF"
WAREHOUSE = "WH"
VENDOR = "VN"
BUYER = "BY"
ASSIGNED_BY_BUYER = "92"  # N103: the code is ours (a location or account code)


@dataclass(frozen=True)
class Party:
    """Someone named in a document: a name, an optional code (N103 qualifies it), an optional address."""

    name: str
    code: str | None = None
    code_qualifier: str = ASSIGNED_BY_BUYER
    address: Address | None = None


@dataclass(frozen=True)
class Reference:
    """A reference number with its X12 qualifier (N9 / REF), e.g. ('CN', tracking number), ('CO', order)."""

    qualifier: str
    value: str


@dataclass(frozen=True)
class Carrier:
    """Who carries a shipment and how: SCAC, service (free-form routing), transport method, freight payment."""

    scac: str | None = None
    service: str | None = None
    transport_method: str = "U"  # U private parcel service, M motor (common carrier), A air, ...
    payment: str = "PP"  # shipment method of payment: PP prepaid, CC collect, TP third party


def party_segments(role: str, party: Party) -> list[Segment]:
    """N1 (role, name, code), then N3 and N4 when there is an address."""
    found = [segment("N1", role, party.name, party.code_qualifier if party.code else None, party.code)]
    address = party.address
    if address is not None:
        if address.line1:
            found.append(segment("N3", address.line1, address.line2))
        if address.city or address.region or address.postal_code or address.country:
            found.append(segment("N4", address.city, address.region, address.postal_code, address.country))
    return found


class PartyReader:
    """Follows N1 loops through a set: `take` the segments as they come, then read `parties` by role."""

    def __init__(self, fields: Fields) -> None:
        self.fields = fields
        self.parties: dict[str, Party] = {}
        self._role: str | None = None

    def take(self, at: Located) -> bool:
        """Read N1/N3/N4; True when the segment was one of them."""
        if at.id == "N1":
            self._role = self.fields.text(at, 1, "entity identifier code")
            name = at.value(2)
            if not name and not at.value(4):
                self.fields.note_missing(at, 2, "name (or N104 code)")
            self.parties[self._role] = Party(name, at.value(4) or None, at.value(3) or ASSIGNED_BY_BUYER)
            return True
        if at.id not in ("N3", "N4"):
            return False
        if self._role is None:
            return True  # an address with no N1 before it names no one; partners' stray N3/N4 are ignored
        current = self.parties[self._role]
        old = current.address or Address()
        if at.id == "N3":
            address = Address(
                at.value(1) or None, at.value(2) or None, old.city, old.region, old.postal_code, old.country
            )
        else:
            address = Address(
                old.line1, old.line2, at.value(1) or None, at.value(2) or None, at.value(3) or None, at.value(4) or None
            )
        self.parties[self._role] = Party(current.name, current.code, current.code_qualifier, address)
        return True

    def close(self) -> None:
        """End the current loop: N3/N4 after this belong to no party."""
        self._role = None
