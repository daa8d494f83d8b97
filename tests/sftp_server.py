"""A real SFTP server on loopback for the tests: asyncssh's, serving one directory as its root (clients see it as
`/`), with password and public-key logins, in an event loop on a thread of its own."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from tests.pg import free_port

T = TypeVar("T")
USERNAME = "ordermesh"
PASSWORD = "correct horse battery staple"
START_SECONDS = 10.0


@dataclass
class SftpServer:
    """The server's address and root, the key it shows, and the credentials it accepts."""

    root: Path
    port: int
    host_key: str  # its public key, an OpenSSH line (what a partner profile's transport names)
    client_key: str  # an OpenSSH private key it accepts for USERNAME
    username: str = USERNAME
    password: str = PASSWORD
    operations: list[tuple[str, str]] = field(default_factory=list)  # what clients asked for: opens and renames
    logins: list[str] = field(default_factory=list)  # the user names clients began to authenticate as


class _Accounts(asyncssh.SSHServer):
    def __init__(self, logins: list[str]) -> None:
        self.logins = logins

    def begin_auth(self, username: str) -> bool:
        self.logins.append(username)
        return True  # everybody must authenticate

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == USERNAME and password == PASSWORD


class _RecordingSftp(asyncssh.SFTPServer):
    """The stock SFTP server, chrooted, noting each open and rename in `operations`."""

    def __init__(self, chan: asyncssh.SSHServerChannel, root: Path, operations: list[tuple[str, str]]) -> None:
        super().__init__(chan, chroot=bytes(root))
        self.operations = operations

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        self.operations.append(("open", path.decode()))
        return super().open(path, pflags, attrs)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self.operations.append(("rename", f"{oldpath.decode()} -> {newpath.decode()}"))
        super().posix_rename(oldpath, newpath)


class _Loop:
    """An event loop running on its own thread, so the transport under test can block on its calls."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sftp-server", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(START_SECONDS)

    def close(self) -> None:
        self.run(_cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(START_SECONDS)
        self.loop.close()


async def _close(listener: asyncssh.SSHAcceptor) -> None:
    listener.close()
    await listener.wait_closed()


async def _cancel_the_rest() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextmanager
def sftp_server(root: Path) -> Iterator[SftpServer]:
    """Serve `root` over SFTP on a free loopback port until the block ends."""
    root.mkdir(parents=True, exist_ok=True)
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    server = SftpServer(
        root=root,
        port=free_port(),
        host_key=host_key.export_public_key().decode().strip(),
        client_key=client_key.export_private_key().decode(),
    )
    authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
    loop = _Loop()
    try:
        listener = loop.run(_listen(server, host_key, authorized))
        try:
            yield server
        finally:
            loop.run(_close(listener))  # on the server's own loop: closing from this thread races with it
    finally:
        loop.close()


async def _listen(
    server: SftpServer, host_key: asyncssh.SSHKey, authorized: asyncssh.SSHAuthorizedKeys
) -> asyncssh.SSHAcceptor:
    return await asyncssh.listen(
        "127.0.0.1",
        server.port,
        server_host_keys=[host_key],
        authorized_client_keys=authorized,
        server_factory=lambda: _Accounts(server.logins),
        sftp_factory=lambda chan: _RecordingSftp(chan, server.root, server.operations),
        allow_scp=False,
    )


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that takes connections and never says a word (an SSH server that hangs); yields the port."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        yield listening.getsockname()[1]
