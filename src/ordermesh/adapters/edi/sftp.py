"""The SFTP transport: documents to a partner are uploaded into its outbound folder on the partner's SFTP server,
documents from it downloaded from its inbound folder there, with the directory transport's semantics.

The server is known before it is trusted. The partner's transport names the server's host key (`host_key`, an
OpenSSH public key line, as `ssh-keyscan` prints it without the host name, checked with the partner); a server
showing another key is refused, and so is every server of a transport that names none: trusting whatever key
answers first would hand the credentials and the documents to whoever answers. Login is as `username` with the
partner's `password` or `private_key` secret (an unencrypted OpenSSH or PEM key); nothing is read from ~/.ssh, an
agent or an ssh config file.

Uploads are atomic (a hidden temporary name, then a POSIX rename on the server), so the partner never picks up half
a file. Inbound files are taken oldest first and moved to `processed/` beside them once their interchange went
through the pipeline (applied, or logged as not applied); a file the pipeline itself failed on stays for the next
round. Each delivery, and each poll, is one connection, bounded by a connect timeout and a timeout per operation.
Failures are returned (deliver) or logged (poll), never raised: the next round tries again.
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import TypeVar

import asyncssh

from ordermesh.adapters.edi.directory import PROCESSED, SUFFIXES, file_name
from ordermesh.domain.partners import Transport
from ordermesh.services.edi_inbound import DocumentNotApplied
from ordermesh.services.partner_ports import EdiDocument, PartnerRecord

log = logging.getLogger(__name__)
DEFAULT_PORT = 22
T = TypeVar("T")


class SftpSetupError(Exception):
    """The partner's SFTP transport lacks what a safe connection needs (a host key, a secret), or has it wrong."""


class SftpTransport:
    def __init__(self, *, connect_timeout: float = 15.0, operation_timeout: float = 60.0) -> None:
        self.connect_timeout = connect_timeout
        self.operation_timeout = operation_timeout

    def deliver(self, record: PartnerRecord, document: EdiDocument) -> str | None:
        """Upload a document into the partner's outbound folder; return None when done, else why not."""
        transport = record.partner.transport
        if not transport.outbound:
            return "the partner's transport has no outbound directory"
        name = file_name(record, document)
        target = posixpath.join(transport.outbound, name)
        content = document.raw.encode("latin-1", errors="replace")
        try:
            asyncio.run(self._upload(record, posixpath.join(transport.outbound, f".{name}.part"), target, content))
        except Exception as exc:  # whatever went wrong, the document stays pending and is tried again
            return f"cannot upload {_where(transport, target)}: {self._describe(exc)}"
        return None

    def poll(self, record: PartnerRecord, receive: Callable[[str], object]) -> int:
        """Run every file waiting in the inbound folder through `receive`, oldest first; return how many."""
        transport = record.partner.transport
        if not transport.inbound:
            return 0
        taken: list[str] = []
        try:
            asyncio.run(self._take_in(record, transport.inbound, receive, taken))
        except Exception as exc:  # the files not taken stay on the server for the next round
            log.warning("cannot poll %s: %s", _where(transport, transport.inbound), self._describe(exc))
        return len(taken)

    async def _upload(self, record: PartnerRecord, partial: str, target: str, content: bytes) -> None:
        async with await self._connect(record) as connection, await self._sftp(connection) as sftp:
            await self._within(_write(sftp, partial, content))
            await self._within(_replace(sftp, partial, target))

    async def _take_in(
        self, record: PartnerRecord, inbound: str, receive: Callable[[str], object], taken: list[str]
    ) -> None:
        async with await self._connect(record) as connection, await self._sftp(connection) as sftp:
            names = await self._within(sftp.readdir(inbound))
            waiting = sorted((n for n in names if _is_document(n)), key=lambda n: (n.attrs.mtime or 0, str(n.filename)))
            processed = posixpath.join(inbound, PROCESSED)
            if waiting and not await self._within(sftp.isdir(processed)):
                await self._within(sftp.mkdir(processed))
            for entry in waiting:
                path = posixpath.join(inbound, str(entry.filename))
                content = await self._within(_read(sftp, path))
                try:
                    receive(content.decode("latin-1"))
                except DocumentNotApplied:
                    pass  # logged by the pipeline with its errors: the file is done
                except Exception:
                    log.exception("inbound file %s not processed; it is tried again", path)
                    continue
                await self._within(_replace(sftp, path, posixpath.join(processed, str(entry.filename))))
                taken.append(path)

    async def _connect(self, record: PartnerRecord) -> asyncssh.SSHClientConnection:
        transport = record.partner.transport
        if not transport.host or not transport.username:
            raise SftpSetupError("the partner's transport needs a host and a username")
        known_hosts, keys, password = _credentials(record)
        return await asyncssh.connect(
            transport.host,
            port=transport.port or DEFAULT_PORT,
            username=transport.username,
            known_hosts=known_hosts,
            client_keys=keys or None,
            password=password,
            agent_path=None,  # the partner's secret is the only identity offered
            config=None,
            connect_timeout=self.connect_timeout,
            login_timeout=self.connect_timeout,
        )

    async def _sftp(self, connection: asyncssh.SSHClientConnection) -> asyncssh.SFTPClient:
        return await self._within(connection.start_sftp_client())

    async def _within(self, operation: Awaitable[T]) -> T:
        return await asyncio.wait_for(operation, self.operation_timeout)

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError):
            return (
                f"timed out (connecting may take {self.connect_timeout:g} s, an operation {self.operation_timeout:g} s)"
            )
        if isinstance(exc, asyncssh.HostKeyNotVerifiable):
            return f"the server's host key is not the transport's host_key ({exc.reason})"
        if isinstance(exc, asyncssh.Error):
            return exc.reason
        return str(exc) or type(exc).__name__


def _credentials(record: PartnerRecord) -> tuple[asyncssh.SSHKnownHosts, list[asyncssh.SSHKey], str | None]:
    host_key = record.partner.transport.host_key
    if not host_key:
        raise SftpSetupError(
            "the partner's transport names no host_key: set it to the server's public key (an OpenSSH line such as "
            "'ssh-ed25519 AAAA...', as ssh-keyscan prints it), checked with the partner; an unknown server is "
            "never trusted"
        )
    try:
        asyncssh.import_public_key(host_key)
        known_hosts = asyncssh.import_known_hosts(f"* {host_key.strip()}")
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise SftpSetupError(f"the transport's host_key is no OpenSSH public key: {exc}") from None
    keys = []
    if private_key := record.secrets.get("private_key"):
        try:
            keys.append(asyncssh.import_private_key(private_key))
        except (asyncssh.KeyImportError, ValueError) as exc:
            raise SftpSetupError(f"the partner's private_key cannot be read: {exc}") from None
    password = record.secrets.get("password")
    if not keys and not password:
        raise SftpSetupError("the partner has neither a password nor a private_key secret")
    return known_hosts, keys, password


def _is_document(entry: asyncssh.SFTPName) -> bool:
    name = str(entry.filename)
    return (
        entry.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
        and not name.startswith(".")
        and posixpath.splitext(name)[1].lower() in SUFFIXES
    )


async def _write(sftp: asyncssh.SFTPClient, path: str, content: bytes) -> None:
    async with sftp.open(path, "wb") as file:
        await file.write(content)


async def _read(sftp: asyncssh.SFTPClient, path: str) -> bytes:
    async with sftp.open(path, "rb") as file:
        content = await file.read()
    assert isinstance(content, bytes), "a file opened in binary mode reads as bytes"
    return content


async def _replace(sftp: asyncssh.SFTPClient, source: str, target: str) -> None:
    """Rename `source` to `target`, replacing it: atomically where the server has POSIX renames (OpenSSH does)."""
    try:
        await sftp.posix_rename(source, target)
    except asyncssh.SFTPOpUnsupported:
        # A plain SFTP rename refuses an existing target: the old one goes first.
        with suppress(asyncssh.SFTPNoSuchFile):
            await sftp.remove(target)
        await sftp.rename(source, target)


def _where(transport: Transport, path: str) -> str:
    return f"{path} on sftp://{transport.username}@{transport.host}:{transport.port or DEFAULT_PORT}"
