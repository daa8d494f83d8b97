"""Outbound HTTP that cannot be aimed inside the network: webhook receivers and channel APIs are named by users.

A URL someone configures could name the database host, a cloud metadata endpoint or an admin port on
loopback (server-side request forgery). Unless private addresses are allowed (a receiver inside the company
network, or tests on loopback), every request's host is resolved just before it is sent and refused when any
of its addresses is not a global one: private, loopback, link-local, shared, multicast or reserved. The
connection itself resolves again; a name that changes its answer in between (DNS rebinding) is not caught.
"""

from __future__ import annotations

import ipaddress
import socket

import httpx

ALLOW_HINT = "set ORDERMESH_OUTBOUND_ALLOW_PRIVATE=true to allow addresses inside the network"


class BlockedAddress(httpx.TransportError):
    """The request's host is, or resolves to, an address outbound calls may not reach."""


def blocked_reason(host: str, port: int) -> str | None:
    """Why a request to host:port may not be sent (None: it may). An unresolvable name is left to the connection."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError):
        return None
    for address in sorted(addresses):
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        if not ip.is_global:
            return f"{host} is {ip}, an address inside the network ({ALLOW_HINT})"
    return None


class PublicOnlyTransport(httpx.HTTPTransport):
    """An HTTP transport that refuses hosts resolving to non-global addresses."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        reason = blocked_reason(url.host, url.port or (443 if url.scheme == "https" else 80))
        if reason is not None:
            raise BlockedAddress(reason, request=request)
        return super().handle_request(request)


def outbound_client(
    *, timeout_seconds: float, allow_private: bool, connections: int = 10, headers: dict[str, str] | None = None
) -> httpx.Client:
    """A client with bounded time, no redirects (a 3xx is an answer), and the address check unless allowed."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = httpx.HTTPTransport(limits=limits) if allow_private else PublicOnlyTransport(limits=limits)
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds), follow_redirects=False, transport=transport, headers=headers
    )
