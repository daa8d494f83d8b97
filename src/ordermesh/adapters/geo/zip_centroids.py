"""US ZIP code centroids from the `zipcodes` package's bundled data (no network at run time)."""

from __future__ import annotations

import functools

import zipcodes

from ordermesh.domain.geo import GeoPoint


class ZipCentroids:
    """Locate US ZIP codes (5 digits, ZIP+4 accepted); other countries are unknown for now."""

    def locate(self, country: str | None, postal_code: str | None) -> GeoPoint | None:
        if not postal_code or (country or "US").upper() != "US":
            return None
        return _lookup(postal_code.strip()[:5])


@functools.lru_cache(maxsize=65_536)
def _lookup(zip5: str) -> GeoPoint | None:
    if len(zip5) != 5 or not zip5.isdigit():
        return None
    try:
        found = zipcodes.matching(zip5)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError):
        return None
    for entry in found:
        try:
            return GeoPoint(float(entry["lat"]), float(entry["long"]))
        except (KeyError, TypeError, ValueError):
            continue
    return None
