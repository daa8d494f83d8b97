"""The code lists a commercial invoice is written in: countries, Incoterms, reasons for export, HS codes."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

# ISO 3166-1 alpha-2: every officially assigned code.
COUNTRIES: frozenset[str] = frozenset(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW "
    "BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI "
    "FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN "
    "IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME "
    "MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF "
    "PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE "
    "YT ZA ZM ZW".split()
)


class Incoterm(StrEnum):
    """Incoterms 2020: who pays for and bears the risk of each leg, and who pays import duties."""

    EXW = "EXW"
    FCA = "FCA"
    CPT = "CPT"
    CIP = "CIP"
    DAP = "DAP"
    DPU = "DPU"
    DDP = "DDP"
    FAS = "FAS"
    FOB = "FOB"
    CFR = "CFR"
    CIF = "CIF"

    @property
    def named_at_origin(self) -> bool:
        """E and F terms name a place at the seller's end; C and D terms one at the destination."""
        return self in {Incoterm.EXW, Incoterm.FCA, Incoterm.FAS, Incoterm.FOB}


class ExportReason(StrEnum):
    SALE = "sale"
    RETURN = "return"  # goods going back to where they came from
    GIFT = "gift"
    SAMPLE = "sample"
    REPAIR = "repair"  # goods sent for, or back from, repair


HS_CODE_ATTRIBUTE = "hs_code"
ORIGIN_ATTRIBUTE = "country_of_origin"
DESCRIPTION_ATTRIBUTE = "customs_description"

_HS_SEPARATORS = re.compile(r"[.\s-]")
_HS_DIGITS = re.compile(r"^[0-9]{6,10}$")


def hs_code_problem(value: Any) -> str | None:
    """Say what is wrong with an HS code as stored on an item, or None when it is usable."""
    if isinstance(value, bool) or not isinstance(value, str):
        # 0901.21 stored as a number has lost its leading zero: only text keeps a tariff code intact.
        return f"must be text such as \"6109.10\", not {type(value).__name__} {value!r}"
    digits = normal_hs_code(value)
    if not _HS_DIGITS.match(digits):
        return f"'{value}' is not an HS code: 6 to 10 digits (dots and spaces allowed)"
    return None


def normal_hs_code(value: str) -> str:
    """The digits of an HS code without the dots or spaces it is often written with ("6109.10.00" -> "61091000")."""
    return _HS_SEPARATORS.sub("", value)


def country_problem(value: Any) -> str | None:
    """Say what is wrong with an ISO 3166-1 alpha-2 country code, or None when it is one."""
    if not isinstance(value, str):
        return f"must be an ISO 3166-1 alpha-2 code such as \"CN\", not {type(value).__name__} {value!r}"
    if value.strip().upper() not in COUNTRIES:
        return f"'{value}' is not an ISO 3166-1 alpha-2 country code"
    return None
