"""The SFTP transport against a real SFTP server on loopback: what it asks the server for, the servers it refuses
to trust, and failures (a wrong password, a server that never answers) told rather than raised."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from ordermesh.adapters.edi.directory import file_name
from ordermesh.adapters.edi.sftp import SftpTransport
from tests.edi_transports import document, record, sftp_transport
from tests.sftp_server import SftpServer, sftp_server, silent_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SftpServer]:
    with sftp_server(tmp_path / "root") as running:
        (running.root / "from-wms").mkdir()
        (running.root / "to-wms").mkdir()
        yield running


def another_key() -> str:
    return asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()


def test_an_upload_is_written_under_a_hidden_name_then_renamed_in_one_step(server: SftpServer) -> None:
    sent = document(1)
    partner = record(sftp_transport(server), password=server.password)

    failure = SftpTransport().deliver(partner, sent)

    assert failure is None
    partial, final = f"/to-wms/.{file_name(partner, sent)}.part", f"/to-wms/{file_name(partner, sent)}"
    assert server.operations == [("open", partial), ("rename", f"{partial} -> {final}")]


def test_a_server_is_not_trusted_when_the_transport_names_no_host_key(
    server: SftpServer, caplog: pytest.LogCaptureFixture
) -> None:
    unverified = record(sftp_transport(server, host_key=None), password=server.password)
    (server.root / "from-wms" / "945.x12").write_text("ISA*")
    taken: list[str] = []

    failure = SftpTransport().deliver(unverified, document())
    with caplog.at_level(logging.WARNING):
        count = SftpTransport().poll(unverified, taken.append)

    assert failure is not None and "names no host_key" in failure and "never trusted" in failure
    assert (count, taken) == (0, [])
    assert "names no host_key" in caplog.text
    assert server.logins == []  # refused before connecting: no credentials offered
    assert list((server.root / "to-wms").iterdir()) == []
    assert (server.root / "from-wms" / "945.x12").exists()


def test_a_server_showing_another_host_key_is_refused(server: SftpServer) -> None:
    impostor = record(sftp_transport(server, host_key=another_key()), password=server.password)

    failure = SftpTransport().deliver(impostor, document())

    assert failure is not None and "the server's host key is not the transport's host_key" in failure
    assert server.logins == []  # the password was never offered to it
    assert list((server.root / "to-wms").iterdir()) == []


def test_a_host_key_that_is_no_public_key_is_named_as_the_problem(server: SftpServer) -> None:
    garbled = record(sftp_transport(server, host_key="ssh-ed25519 bm90IGEga2V5"), password=server.password)

    failure = SftpTransport().deliver(garbled, document())

    assert failure is not None and "host_key is no OpenSSH public key" in failure


def test_a_wrong_password_is_told_not_raised(server: SftpServer) -> None:
    partner = record(sftp_transport(server), password="hunter2")
    failure = SftpTransport().deliver(partner, document())

    assert failure is not None and "Permission denied" in failure
    assert server.logins == ["ordermesh"]
    assert f"/to-wms/{file_name(partner, document())} on sftp://ordermesh@127.0.0.1:{server.port}" in failure
    assert "hunter2" not in failure


def test_a_server_that_never_answers_times_out(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    with sftp_server(tmp_path / "root") as real, silent_server() as port:
        hanging = record(sftp_transport(real, port=port), password=real.password)
        transport = SftpTransport(connect_timeout=0.5, operation_timeout=0.5)
        started = time.monotonic()

        failure = transport.deliver(hanging, document())
        with caplog.at_level(logging.WARNING):
            count = transport.poll(hanging, lambda text: None)
        took = time.monotonic() - started

    assert failure is not None and "timed out" in failure
    assert count == 0 and "timed out" in caplog.text
    assert took < 5


def test_a_server_that_is_not_there_is_told_not_raised(tmp_path: Path) -> None:
    with sftp_server(tmp_path / "root") as gone:
        transport = sftp_transport(gone)
    failure = SftpTransport(connect_timeout=2).deliver(record(transport, password=gone.password), document())

    assert failure is not None and f"sftp://ordermesh@127.0.0.1:{gone.port}" in failure
