"""ANSI X12 EDI, pure: read and validate interchanges, write them, acknowledge them (997), and map the sets
Ordermesh exchanges with warehouses and drop-ship vendors to and from dataclasses in Ordermesh's own words.

Toolkit: `read_interchange` / `write_interchange` / `envelope` / `ControlNumbers` / `acknowledge`.
Document mappers, one module per set: shipping_order (940), shipping_advice (945), inventory_advice (846),
stock_receipt (944), purchase_order (850), purchase_order_ack (855), ship_notice (856), invoice (810).
"""

from ordermesh.domain.edi.acknowledgement import (
    FunctionalAcknowledgement,
    Verdict,
    acknowledge,
    acknowledgement_set,
    read_acknowledgement,
)
from ordermesh.domain.edi.control_numbers import ControlNumbers
from ordermesh.domain.edi.model import (
    Delimiters,
    FunctionalGroup,
    Interchange,
    Segment,
    TransactionSet,
    Usage,
    X12Version,
    segment,
)
from ordermesh.domain.edi.problems import X12Error, X12Problem
from ordermesh.domain.edi.reader import read_interchange, read_valid_interchange
from ordermesh.domain.edi.syntax import detect_delimiters
from ordermesh.domain.edi.writer import TradingIdentity, envelope, write_interchange

__all__ = [
    "ControlNumbers",
    "Delimiters",
    "FunctionalAcknowledgement",
    "FunctionalGroup",
    "Interchange",
    "Segment",
    "TradingIdentity",
    "TransactionSet",
    "Usage",
    "Verdict",
    "X12Error",
    "X12Problem",
    "X12Version",
    "acknowledge",
    "acknowledgement_set",
    "detect_delimiters",
    "envelope",
    "read_acknowledgement",
    "read_interchange",
    "read_valid_interchange",
    "segment",
    "write_interchange",
]
