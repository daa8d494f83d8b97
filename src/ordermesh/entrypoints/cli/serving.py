"""Serve the API from one or several processes, each with its own SO_REUSEPORT listening socket.

With one shared socket (uvicorn's --workers) the process that happens to be awake accepts most of
the long-lived keep-alive connections and the others idle. A socket per process lets the kernel
spread connections evenly over the processes.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
from types import FrameType

import uvicorn

APP = "ordermesh.entrypoints.api.app:app_from_environment"


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _config(host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(APP, factory=True, host=host, port=port, log_level=log_level, access_log=False)


def _serve_one(host: str, port: int, log_level: str) -> None:
    """Run one API process on its own reuse-port socket until it is told to stop."""
    sock = _listening_socket(host, port)
    uvicorn.Server(_config(host, port, log_level)).run(sockets=[sock])


def serve(host: str, port: int, *, processes: int, log_level: str) -> None:
    """Serve in this process, or in `processes` child processes that share the port."""
    if processes == 1:
        uvicorn.run(APP, factory=True, host=host, port=port, log_level=log_level, access_log=False)
        return
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_serve_one, args=(host, port, log_level), name=f"ordermesh-api-{n}")
        for n in range(processes)
    ]
    for child in children:
        child.start()

    def stop_children(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then exits

    signal.signal(signal.SIGTERM, stop_children)
    signal.signal(signal.SIGINT, stop_children)
    for child in children:
        child.join()
