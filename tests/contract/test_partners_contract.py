"""The Partners and EdiDocuments contracts, on the fake and on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordermesh.domain.edi import ControlNumbers, Delimiters, TradingIdentity, X12Version
from ordermesh.domain.exception_queue import ExceptionKind, ExceptionStatus, OpsException
from ordermesh.domain.partners import Partner, PartnerKind, PartnerProtocol, Transport, TransportKind, X12Settings
from ordermesh.domain.reconciliation import Check, Discrepancy, ReconciliationRun, RunStatus, Tolerances
from ordermesh.services.partner_ports import DocumentFilter, EdiDocument, PartnerRecord
from ordermesh.services.ports import DuplicateKey, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, every_page, minutes, read


def partner(
    partner_id: str = "ptn_1", *, isa_id: str = "ACMEWMS", locations: tuple[str, ...] = ("NJ-DC",)
) -> PartnerRecord:
    x12 = X12Settings(
        TradingIdentity("ZZ", isa_id, isa_id),
        TradingIdentity("ZZ", "ORDERMESH", "ORDERMESH"),
        X12Version.V5010,
        Delimiters("~", "}", ">", "^"),
        line_break="\r\n",
    )
    transport = Transport(TransportKind.DIRECTORY, inbound="/srv/edi/in", outbound="/srv/edi/out")
    return PartnerRecord(
        Partner(partner_id, "Acme WMS", PartnerKind.WMS, PartnerProtocol.X12, x12, transport, locations, True, T0, T0),
        {"sftp_password": "s3cret"},
    )


def document(
    doc_id: str, *, key: str = "k1", status: str = "applied", direction: str = "in", type_: str = "945"
) -> EdiDocument:
    return EdiDocument(
        doc_id,
        "ptn_1",
        direction,
        type_,
        status,
        key,
        "ISA*00*...~",
        minutes(0),
        minutes(0),
        control_number="7:0001",
        fulfillment_order_id="fo_1",
        parsed={"fulfillment_order_id": "fo_1"},
        errors=({"segment": "W12", "position": 6, "element": 3, "code": "6", "message": "x"},),
    )


class PartnersContract:
    def test_a_partner_is_found_by_id_and_by_its_x12_identity_with_its_secrets(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        committed(uow_factory, lambda uow: uow.partners.add(partner()))

        assert read(uow_factory, lambda uow: uow.partners.get("ptn_1")) == partner()
        assert read(uow_factory, lambda uow: uow.partners.by_identity("ZZ:ACMEWMS")) == partner()
        assert read(uow_factory, lambda uow: uow.partners.by_identity("ZZ:OTHER")) is None

    def test_an_x12_identity_belongs_to_one_partner(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.partners.add(partner()))

        with pytest.raises(DuplicateKey):
            committed(uow_factory, lambda uow: uow.partners.add(partner("ptn_2")))

    def test_saving_changes_a_partner_and_listing_pages_by_id(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.partners.add(partner("ptn_2", isa_id="B")))
        committed(uow_factory, lambda uow: uow.partners.add(partner("ptn_1")))
        changed = PartnerRecord(replace(partner().partner, name="Acme 3PL", active=False, updated_at=minutes(3)), {})

        committed(uow_factory, lambda uow: uow.partners.save(changed))

        assert read(uow_factory, lambda uow: uow.partners.get("ptn_1")) == changed
        listed = every_page(uow_factory, lambda uow, after: uow.partners.page(after=after, limit=1), limit=1)
        assert [r.partner.id for r in listed] == ["ptn_1", "ptn_2"]
        assert [r.partner.id for r in read(uow_factory, lambda uow: uow.partners.all())] == ["ptn_1", "ptn_2"]

    def test_control_numbers_start_at_one_and_increase_without_reuse(self, uow_factory: UnitOfWorkFactory) -> None:
        first = committed(uow_factory, lambda uow: uow.partners.next_control_numbers("ptn_1", 1))
        second = committed(uow_factory, lambda uow: uow.partners.next_control_numbers("ptn_1", 3))
        third = committed(uow_factory, lambda uow: uow.partners.next_control_numbers("ptn_1", 1))
        other = committed(uow_factory, lambda uow: uow.partners.next_control_numbers("ptn_2", 1))

        assert first == ControlNumbers(1, 1, 1, 1)
        assert second == ControlNumbers(2, 2, 2, 3)
        assert third == ControlNumbers(3, 3, 5, 1)
        assert other == ControlNumbers.first()

    def test_numbers_taken_in_a_rolled_back_unit_of_work_are_taken_again(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.partners.next_control_numbers("ptn_1", 1))
        with uow_factory() as uow:
            uow.partners.next_control_numbers("ptn_1", 1)
            uow.rollback()

        assert committed(uow_factory, lambda uow: uow.partners.next_control_numbers("ptn_1", 1)).interchange == 2


class EdiDocumentsContract:
    def test_a_document_is_stored_as_given_and_found_by_its_key_and_control_number(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        committed(uow_factory, lambda uow: uow.edi_documents.add(document("edi_1")))

        assert read(uow_factory, lambda uow: uow.edi_documents.get("edi_1")) == document("edi_1")
        assert read(uow_factory, lambda uow: uow.edi_documents.find("ptn_1", "in", "k1")) == document("edi_1")
        assert read(uow_factory, lambda uow: uow.edi_documents.find("ptn_1", "out", "k1")) is None
        found = read(uow_factory, lambda uow: uow.edi_documents.by_control_number("ptn_1", "in", "7:0001"))
        assert [d.id for d in found] == ["edi_1"]

    def test_the_same_document_is_stored_once(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.edi_documents.add(document("edi_1")))

        with pytest.raises(DuplicateKey):
            committed(uow_factory, lambda uow: uow.edi_documents.add(document("edi_2")))

    def test_saving_stores_the_outcome_and_keeps_what_the_document_is(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.edi_documents.add(document("edi_1", status="received")))
        outcome = replace(
            document("edi_1"), status="accepted", errors=(), acknowledgement_id="edi_9", updated_at=minutes(2)
        )

        committed(uow_factory, lambda uow: uow.edi_documents.save(replace(outcome, raw="changed", type="850")))

        assert read(uow_factory, lambda uow: uow.edi_documents.get("edi_1")) == outcome

    def test_documents_are_listed_newest_first_by_direction_type_and_status(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        for doc in (
            document("edi_1", key="a"),
            document("edi_2", key="b", status="failed"),
            document("edi_3", key="c", direction="out", type_="940"),
            document("edi_4", key="d"),
        ):
            committed(uow_factory, lambda uow, doc=doc: uow.edi_documents.add(doc))

        inbound = every_page(
            uow_factory,
            lambda uow, after: uow.edi_documents.page(DocumentFilter(direction="in"), after=after, limit=2),
            limit=2,
        )
        failed = read(
            uow_factory, lambda uow: uow.edi_documents.page(DocumentFilter(status="failed"), after=None, limit=9)
        )
        out_940 = read(
            uow_factory, lambda uow: uow.edi_documents.page(DocumentFilter("out", "940"), after=None, limit=9)
        )

        assert [d.id for d in inbound] == ["edi_4", "edi_2", "edi_1"]
        assert [d.id for d in failed.rows] == ["edi_2"]
        assert [d.id for d in out_940.rows] == ["edi_3"]


def run(run_id: str, *, at: int = 0) -> ReconciliationRun:
    return ReconciliationRun(run_id, RunStatus.RUNNING, (Check.INVENTORY,), Tolerances(units=2), minutes(at))


class ReconciliationRunsContract:
    def test_a_run_is_stored_then_finished_with_its_report(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.reconciliations.add(run("rec_1")))
        gap = Discrepancy(Check.INVENTORY, "NWK/TEE", "counted 17, had 20", "20", "17", "-3", {"document": "edi_1"})
        finished = replace(
            run("rec_1"),
            status=RunStatus.DONE,
            summary={"discrepancies": 1},
            discrepancies=(gap,),
            finished_at=minutes(1),
        )

        committed(uow_factory, lambda uow: uow.reconciliations.save(replace(finished, checks=())))

        assert read(uow_factory, lambda uow: uow.reconciliations.get("rec_1")) == finished
        assert read(uow_factory, lambda uow: uow.reconciliations.get("rec_2")) is None

    def test_runs_are_listed_newest_first(self, uow_factory: UnitOfWorkFactory) -> None:
        for run_id in ("rec_1", "rec_3", "rec_2"):
            committed(uow_factory, lambda uow, run_id=run_id: uow.reconciliations.add(run(run_id)))

        listed = every_page(uow_factory, lambda uow, after: uow.reconciliations.page(after=after, limit=2), limit=2)

        assert [r.id for r in listed] == ["rec_3", "rec_2", "rec_1"]


def opened(
    exc_id: str, key: str = "document:edi_1", kind: ExceptionKind = ExceptionKind.PARTNER_DOCUMENT
) -> OpsException:
    return OpsException(
        exc_id, kind, "edi_1", "W06 names fo_NOPE", {"errors": [{"segment": "W06"}]}, ExceptionStatus.OPEN, key, 1,
        minutes(0), minutes(0),
    )  # fmt: skip


class ExceptionQueueContract:
    def test_one_exception_is_open_per_key_and_a_resolved_one_makes_room(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.exceptions.add(opened("exc_1")))

        with pytest.raises(DuplicateKey):
            committed(uow_factory, lambda uow: uow.exceptions.add(opened("exc_2")))
        resolved = replace(
            opened("exc_1"), status=ExceptionStatus.RESOLVED, resolved_at=minutes(5), resolved_by="ops",
            resolution="fixed", occurrences=3, updated_at=minutes(5),
        )  # fmt: skip
        committed(uow_factory, lambda uow: uow.exceptions.save(resolved))
        committed(uow_factory, lambda uow: uow.exceptions.add(opened("exc_3")))

        assert read(uow_factory, lambda uow: uow.exceptions.get("exc_1")) == resolved
        assert read(uow_factory, lambda uow: uow.exceptions.open_by_key("document:edi_1")) == opened("exc_3")
        assert read(uow_factory, lambda uow: uow.exceptions.open_by_key("document:edi_9")) is None

    def test_the_queue_lists_newest_first_by_status_and_kind(self, uow_factory: UnitOfWorkFactory) -> None:
        for exception in (
            opened("exc_1", "a"),
            opened("exc_2", "b", ExceptionKind.RECONCILIATION),
            opened("exc_3", "c"),
        ):
            committed(uow_factory, lambda uow, e=exception: uow.exceptions.add(e))
        done = replace(opened("exc_3", "c"), status=ExceptionStatus.RESOLVED)
        committed(uow_factory, lambda uow: uow.exceptions.save(done))

        open_ones = every_page(
            uow_factory, lambda uow, after: uow.exceptions.page(status="open", kind=None, after=after, limit=1), limit=1
        )
        documents = read(
            uow_factory, lambda uow: uow.exceptions.page(status=None, kind="partner_document", after=None, limit=9)
        )

        assert [e.id for e in open_ones] == ["exc_2", "exc_1"]
        assert [e.id for e in documents.rows] == ["exc_3", "exc_1"]


class TestExceptionQueueOnFake(FakeBackend, ExceptionQueueContract):
    pass


class TestExceptionQueueOnSql(SqlBackend, ExceptionQueueContract):
    pass


class TestReconciliationRunsOnFake(FakeBackend, ReconciliationRunsContract):
    pass


class TestReconciliationRunsOnSql(SqlBackend, ReconciliationRunsContract):
    pass


class TestPartnersOnFake(FakeBackend, PartnersContract):
    pass


class TestPartnersOnSql(SqlBackend, PartnersContract):
    pass


class TestEdiDocumentsOnFake(FakeBackend, EdiDocumentsContract):
    pass


class TestEdiDocumentsOnSql(SqlBackend, EdiDocumentsContract):
    pass
