"""ERP acknowledgements on the wire: the ERP's answer to a document it was sent."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ordermesh.entrypoints.api.schemas.common import Input
from ordermesh.entrypoints.api.schemas.partners import DocumentOut
from ordermesh.services.erp_acknowledgements import Acknowledged, ErpAcknowledgement


class AcknowledgementIn(Input):
    document_number: str = Field(
        min_length=1, max_length=64, description="The number of the document it answers", examples=["INV-shp_01J"]
    )
    status: Literal["accepted", "rejected"]
    erp_reference: str | None = Field(default=None, max_length=100, description="The ERP's own id for what it booked")
    message: str | None = Field(default=None, max_length=2000, description="Why it was rejected, in the ERP's words")

    def acknowledgement(self) -> ErpAcknowledgement:
        return ErpAcknowledgement(self.document_number, self.status, self.erp_reference, self.message)


class AcknowledgedOut(BaseModel):
    document: DocumentOut = Field(description="The document acknowledged: accepted or refused")
    acknowledgement_id: str = Field(description="The acknowledgement as logged (an inbound erp_acknowledgement)")
    repeated: bool = Field(description="The same acknowledgement came before: nothing changed")

    @classmethod
    def of(cls, result: Acknowledged) -> AcknowledgedOut:
        return cls(
            document=DocumentOut.of(result.document), acknowledgement_id=result.acknowledgement.id,
            repeated=result.repeated,
        )  # fmt: skip
