"""Product ids as segments list them: qualifier/id pairs (SK our SKU, VN vendor's item number, UP the UPC)."""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.domain.edi.model import Segment

SKU = "SK"
VENDOR_ITEM = "VN"
UPC = "UP"


@dataclass(frozen=True)
class ProductIds:
    sku: str
    vendor_item: str | None = None
    upc: str | None = None

    def pairs(self) -> list[str | None]:
        """Qualifier, id, qualifier, id, ...: the SKU first, then whichever others are known."""
        found: list[str | None] = [SKU, self.sku]
        for qualifier, value in ((VENDOR_ITEM, self.vendor_item), (UPC, self.upc)):
            if value:
                found += [qualifier, value]
        return found


def product_ids(seg: Segment, first: int) -> ProductIds:
    """Read qualifier/id pairs from element `first` on; the SKU is '' when the segment gives none."""
    found: dict[str, str] = {}
    for position in range(first, len(seg.elements) + 1, 2):
        qualifier, value = seg.value(position), seg.value(position + 1)
        if qualifier and value:
            found.setdefault(qualifier, value)
    return ProductIds(found.get(SKU, ""), found.get(VENDOR_ITEM), found.get(UPC))
