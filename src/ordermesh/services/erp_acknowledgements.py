"""ERP acknowledgements: the ERP tells Ordermesh whether it booked a document it was sent.

An acknowledgement names the document by its number (`INV-...`, `CM-...`, `JNL-...`), accepts or rejects it, and
may carry the ERP's own reference and a message. It is logged as an inbound document (`erp_acknowledgement`),
and the document it answers becomes `accepted` or `refused` (the message as its error), pointing at it, as a
997 marks the X12 documents it answers. The same acknowledgement again changes nothing; a different one for the
same document (rejected, then accepted once finance fixed something) is recorded and takes over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Literal

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import InvalidInput, NotFound
from ordermesh.domain.partners import Direction, DocumentStatus, PartnerKind
from ordermesh.services.context import AppContext
from ordermesh.services.edi_outbound import content_key
from ordermesh.services.partner_ports import EdiDocument
from ordermesh.services.ports import UnitOfWork

ACKNOWLEDGEMENT = "erp_acknowledgement"


@dataclass(frozen=True)
class ErpAcknowledgement:
    document_number: str
    status: Literal["accepted", "rejected"]
    erp_reference: str | None = None
    message: str | None = None

    def text(self) -> str:
        return json.dumps(
            {
                "document_number": self.document_number,
                "status": self.status,
                "erp_reference": self.erp_reference,
                "message": self.message,
            },
            sort_keys=True,
        )


@dataclass(frozen=True)
class Acknowledged:
    document: EdiDocument  # the outbound document, as it stands now
    acknowledgement: EdiDocument  # the logged acknowledgement
    repeated: bool  # the same acknowledgement came before: nothing changed


def acknowledge(
    ctx: AppContext, *, partner_id: str, acknowledgement: ErpAcknowledgement, actor: Principal
) -> Acknowledged:
    """Record the ERP's answer to one of the documents it was sent.

    Raises NotFound for an unknown partner or a document number the partner was never sent, InvalidInput for a
    partner that is not an ERP.
    """

    def work(uow: UnitOfWork) -> Acknowledged:
        record = uow.partners.get(partner_id)
        if record is None:
            raise NotFound("partner", partner_id)
        if record.partner.kind != PartnerKind.ERP:
            raise InvalidInput(
                f"partner {partner_id} is a {record.partner.kind.value}: only ERP partners acknowledge documents",
                field=("path", "partner_id"),
            )
        number = acknowledgement.document_number
        document = uow.edi_documents.find(partner_id, Direction.OUT.value, number)
        if document is None:
            raise NotFound("document", number)
        text = acknowledgement.text()
        key = content_key(text)  # the same answer again is the same document
        known = uow.edi_documents.find(partner_id, Direction.IN.value, key)
        if known is not None:
            return Acknowledged(document, known, repeated=True)
        now = ctx.clock.now()
        logged = EdiDocument(
            id=ctx.ids("edi"),
            partner_id=partner_id,
            direction=Direction.IN.value,
            type=ACKNOWLEDGEMENT,
            status=DocumentStatus.APPLIED.value,
            dedupe_key=key,
            raw=text,
            created_at=now,
            updated_at=now,
            reference=acknowledgement.erp_reference,
            order_id=document.order_id,
            fulfillment_order_id=document.fulfillment_order_id,
            parsed=json.loads(text) | {"acknowledges": document.id, "by": actor.id},
        )
        uow.edi_documents.add(logged)
        accepted = acknowledgement.status == "accepted"
        error = {
            "segment": None, "position": None, "element": None, "code": "rejected_by_erp",
            "message": acknowledgement.message or "rejected by the ERP",
        }  # fmt: skip
        answered = replace(
            document,
            status=(DocumentStatus.ACCEPTED if accepted else DocumentStatus.REFUSED).value,
            errors=() if accepted else (error,),
            acknowledgement_id=logged.id,
            updated_at=now,
        )
        uow.edi_documents.save(answered)
        return Acknowledged(answered, logged, repeated=False)

    return ctx.transaction(work)
