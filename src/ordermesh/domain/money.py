"""Money amounts and ISO 4217 currencies."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

# Active ISO 4217 codes with their minor units (digits after the decimal point).
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD "
        "CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD "
        "HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD "
        "MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON "
        "RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD "
        "TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG".split(),
        2,
    ),
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}

CURRENCIES: frozenset[str] = frozenset(_MINOR_UNITS)


def is_currency(code: str) -> bool:
    """Tell whether a code is an active ISO 4217 currency."""
    return code in _MINOR_UNITS


def minor_units(currency: str) -> int:
    """Return how many decimal places the currency uses.

    Raises KeyError for an unknown currency.
    """
    return _MINOR_UNITS[currency]


def fits_currency(amount: Decimal, currency: str) -> bool:
    """Tell whether an amount is a whole number of the currency's minor units ("1500.00" yen is; "0.5" is not)."""
    if not amount.is_finite():
        return False
    return amount == amount.quantize(Decimal(1).scaleb(-_MINOR_UNITS[currency]), rounding=ROUND_DOWN)
