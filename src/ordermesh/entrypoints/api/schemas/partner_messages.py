"""JSON messages from API-native warehouses and 3PLs: shipment confirmations, inventory snapshots, receipts."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from ordermesh.domain.edi.outcomes import (
    ConfirmedLine,
    InventorySnapshot,
    Receipt,
    ReceivedUnits,
    ShipmentConfirmation,
)
from ordermesh.entrypoints.api.schemas.common import Code, Input, Sku
from ordermesh.services.partner_messages import PartnerMessage

MessageId = Annotated[
    str,
    Field(min_length=1, max_length=100, description="The partner's id for this message: sent again, it applies once"),
]
Units = Annotated[int, Field(ge=0, le=1_000_000)]


class ShippedLineIn(Input):
    sku: Sku
    quantity: Units = Field(description="Units that left the building")
    ordered: Units | None = None
    order_line_id: str | None = Field(default=None, max_length=40, description="Ordermesh's line id, when echoed")


class ShipmentMessage(Input):
    """A shipment of (some of) a fulfilment order, as a 945 says it."""

    type: Literal["shipment"]
    message_id: MessageId
    fulfillment_order_id: str = Field(min_length=1, max_length=40)
    shipment_id: str | None = Field(default=None, max_length=80, description="The partner's shipment id (applies once)")
    shipped_on: date
    carrier: str | None = Field(default=None, max_length=100, examples=["UPSN"])
    service: str | None = Field(default=None, max_length=100)
    tracking_numbers: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    lines: list[ShippedLineIn] = Field(min_length=1, max_length=1000)

    def read(self, raw: str) -> PartnerMessage:
        confirmation = ShipmentConfirmation(
            self.fulfillment_order_id,
            self.shipment_id,
            self.shipped_on,
            self.carrier,
            self.service,
            tuple(self.tracking_numbers),
            tuple(ConfirmedLine(x.sku, x.quantity, x.ordered, x.order_line_id) for x in self.lines),
        )
        return PartnerMessage(self.message_id, "shipment", raw, shipment=confirmation)


class CountIn(Input):
    sku: Sku
    on_hand: Units


class InventoryMessage(Input):
    """On-hand units at one location as of a moment, as an 846 says it (older than the last count: skipped)."""

    type: Literal["inventory"]
    message_id: MessageId
    location: Code
    as_of: AwareDatetime
    items: list[CountIn] = Field(min_length=1, max_length=100_000)

    def read(self, raw: str) -> PartnerMessage:
        snapshot = InventorySnapshot(self.location, self.as_of, {x.sku: x.on_hand for x in self.items})
        return PartnerMessage(self.message_id, "inventory", raw, snapshot=snapshot)


class ReceivedIn(Input):
    sku: Sku
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]


class ReceiptMessage(Input):
    """Units received into stock, as a 944 says it (applies once per receipt id)."""

    type: Literal["receipt"]
    message_id: MessageId
    receipt_id: str = Field(min_length=1, max_length=80)
    location: Code
    received_on: date
    reference: str | None = Field(default=None, max_length=80, description="Our transfer or purchase order")
    lines: list[ReceivedIn] = Field(min_length=1, max_length=1000)

    def read(self, raw: str) -> PartnerMessage:
        receipt = Receipt(
            self.receipt_id,
            self.location,
            self.received_on,
            self.reference,
            tuple(ReceivedUnits(x.sku, x.quantity) for x in self.lines),
        )
        return PartnerMessage(self.message_id, "receipt", raw, receipt=receipt)


PartnerMessageIn = Annotated[ShipmentMessage | InventoryMessage | ReceiptMessage, Field(discriminator="type")]


def raw_text(message: ShipmentMessage | InventoryMessage | ReceiptMessage) -> str:
    """The message as logged: its validated JSON."""
    return json.dumps(message.model_dump(mode="json"), sort_keys=True)
