"""The EDI transport contract, on the directory transport and on the SFTP transport against a real SFTP server
(logging in with a password, and with a key): deliveries are atomic and named, inbound files are taken oldest
first into processed/, and a file the pipeline failed on stays for the next round."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ordermesh.adapters.edi.directory import DirectoryTransport, file_name
from ordermesh.adapters.edi.sftp import SftpTransport
from ordermesh.domain.partners import Transport, TransportKind
from ordermesh.services.edi_exchange import InboundTransport
from ordermesh.services.edi_inbound import DocumentNotApplied
from ordermesh.services.partner_ports import PartnerRecord
from tests.edi_transports import document, record, sftp_transport
from tests.sftp_server import sftp_server


@dataclass
class Setup:
    """A transport, a partner using it, and the partner's side of it as local folders."""

    transport: InboundTransport
    partner: PartnerRecord
    inbound: Path  # where the partner leaves documents for us
    outbound: Path  # where our deliveries land

    def moved(self, **folders: str | None) -> PartnerRecord:
        """The partner with its transport's `inbound` or `outbound` folder changed (as the transport names it)."""
        transport = replace(self.partner.partner.transport, **folders)
        return replace(self.partner, partner=replace(self.partner.partner, transport=transport))


def waiting(folder: Path, name: str, text: str, *, mtime: int) -> Path:
    path = folder / name
    path.write_text(text, encoding="latin-1")
    os.utime(path, (mtime, mtime))
    return path


def recorder(
    taken: list[str], *, failing: Callable[[str], Exception | None] = lambda text: None
) -> Callable[[str], object]:
    def receive(text: str) -> object:
        error = failing(text)
        if error is not None:
            raise error
        taken.append(text)
        return None

    return receive


class TransportContract:
    @pytest.fixture
    def setup(self, tmp_path: Path) -> Iterator[Setup]:
        raise NotImplementedError

    def test_an_erp_document_is_delivered_under_its_number_in_the_partners_format(self, setup: Setup) -> None:
        invoice = replace(document(8, raw='{"number": "INV-shp_1"}'), type="invoice", dedupe_key="INV-shp_1")

        failure = setup.transport.deliver(setup.partner, invoice)

        assert failure is None
        assert [p.name for p in setup.outbound.iterdir()] == ["INV-shp_1.json"]

    def test_a_document_is_delivered_under_its_type_and_numbers_with_its_text(self, setup: Setup) -> None:
        sent = document(7, raw="ISA*00*          *00*~GS*OW~ é")

        failure = setup.transport.deliver(setup.partner, sent)

        assert failure is None
        assert (
            [p.name for p in setup.outbound.iterdir()]
            == ["940_7-0007_edi_0007.x12"]
            == [file_name(setup.partner, sent)]
        )
        assert (setup.outbound / file_name(setup.partner, sent)).read_text(encoding="latin-1") == sent.raw

    def test_a_delivery_replaces_what_a_broken_one_left_and_leaves_no_temporary_file(self, setup: Setup) -> None:
        sent = document(3, raw="ISA*complete~")
        (setup.outbound / f".{file_name(setup.partner, sent)}.part").write_text("ISA*half")
        (setup.outbound / file_name(setup.partner, sent)).write_text("ISA*an older copy")

        first = setup.transport.deliver(setup.partner, sent)
        again = setup.transport.deliver(setup.partner, sent)

        assert (first, again) == (None, None)
        assert [p.name for p in setup.outbound.iterdir()] == [file_name(setup.partner, sent)]
        assert (setup.outbound / file_name(setup.partner, sent)).read_text() == "ISA*complete~"

    def test_a_delivery_that_cannot_be_written_says_why_instead_of_raising(self, setup: Setup) -> None:
        (setup.outbound / "blocker").write_text("a file where a folder should be")
        nowhere = setup.moved(outbound=self.path_of(setup, setup.outbound / "blocker"))
        unset = setup.moved(outbound=None)

        failure = setup.transport.deliver(nowhere, document())
        no_folder = setup.transport.deliver(unset, document())

        assert failure is not None and file_name(setup.partner, document()) in failure
        assert no_folder == "the partner's transport has no outbound directory"

    def test_waiting_files_are_taken_oldest_first_and_moved_to_processed(self, setup: Setup) -> None:
        waiting(setup.inbound, "a-newest.x12", "third", mtime=1_800_000_300)
        waiting(setup.inbound, "b-oldest.EDI", "first", mtime=1_800_000_100)
        waiting(setup.inbound, "c-middle.txt", "second", mtime=1_800_000_200)
        taken: list[str] = []

        count = setup.transport.poll(setup.partner, recorder(taken))

        assert (count, taken) == (3, ["first", "second", "third"])
        assert sorted(p.name for p in setup.inbound.iterdir()) == ["processed"]
        assert sorted(p.name for p in (setup.inbound / "processed").iterdir()) == [
            "a-newest.x12", "b-oldest.EDI", "c-middle.txt"
        ]  # fmt: skip

    def test_hidden_files_other_files_and_folders_are_left_alone(self, setup: Setup) -> None:
        waiting(setup.inbound, ".945.x12.part", "being written", mtime=1_800_000_000)
        waiting(setup.inbound, "label.pdf", "not EDI", mtime=1_800_000_000)
        (setup.inbound / "archive.x12").mkdir()
        taken: list[str] = []

        count = setup.transport.poll(setup.partner, recorder(taken))

        assert (count, taken) == (0, [])
        assert sorted(p.name for p in setup.inbound.iterdir()) == [".945.x12.part", "archive.x12", "label.pdf"]

    def test_a_document_the_pipeline_logged_as_not_applied_is_done_with(self, setup: Setup) -> None:
        waiting(setup.inbound, "945.x12", "unknown order", mtime=1_800_000_000)
        not_applied = DocumentNotApplied("fulfilment order 'fo_NOPE' does not exist", [])

        count = setup.transport.poll(setup.partner, recorder([], failing=lambda text: not_applied))

        assert count == 1
        assert [p.name for p in (setup.inbound / "processed").iterdir()] == ["945.x12"]

    def test_a_file_the_pipeline_failed_on_stays_for_the_next_round(self, setup: Setup) -> None:
        waiting(setup.inbound, "1.x12", "database down", mtime=1_800_000_000)
        waiting(setup.inbound, "2.x12", "fine", mtime=1_800_000_001)
        taken: list[str] = []
        down = recorder(taken, failing=lambda text: RuntimeError("no database") if text == "database down" else None)

        first = setup.transport.poll(setup.partner, down)
        second = setup.transport.poll(setup.partner, recorder(taken))

        assert (first, second, taken) == (1, 1, ["fine", "database down"])
        assert sorted(p.name for p in (setup.inbound / "processed").iterdir()) == ["1.x12", "2.x12"]

    def test_a_missing_inbound_folder_has_nothing_waiting(self, setup: Setup) -> None:
        elsewhere = setup.moved(inbound=self.path_of(setup, setup.inbound / "nope"))
        taken: list[str] = []

        assert setup.transport.poll(elsewhere, recorder(taken)) == 0
        assert taken == []

    def path_of(self, setup: Setup, local: Path) -> str:
        """How the transport names a local folder of the partner's side."""
        raise NotImplementedError


class TestDirectoryTransport(TransportContract):
    @pytest.fixture
    def setup(self, tmp_path: Path) -> Iterator[Setup]:
        inbound, outbound = tmp_path / "from-wms", tmp_path / "to-wms"
        inbound.mkdir()
        outbound.mkdir()
        transport = Transport(TransportKind.DIRECTORY, str(inbound), str(outbound))
        yield Setup(DirectoryTransport(), record(transport), inbound, outbound)

    def path_of(self, setup: Setup, local: Path) -> str:
        return str(local)


class SftpContract(TransportContract):
    secret = "password"

    @pytest.fixture
    def setup(self, tmp_path: Path) -> Iterator[Setup]:
        root = tmp_path / "sftp-root"
        with sftp_server(root) as server:
            (root / "from-wms").mkdir()
            (root / "to-wms").mkdir()
            secret = server.password if self.secret == "password" else server.client_key
            partner = record(sftp_transport(server), **{self.secret: secret})
            transport = SftpTransport(connect_timeout=5, operation_timeout=5)
            yield Setup(transport, partner, root / "from-wms", root / "to-wms")

    def path_of(self, setup: Setup, local: Path) -> str:
        root = setup.inbound.parent
        return "/" + str(local.relative_to(root))


class TestSftpTransportLoggingInWithAPassword(SftpContract):
    secret = "password"


class TestSftpTransportLoggingInWithAKey(SftpContract):
    secret = "private_key"
