"""Where the server may send a request a visitor pointed it at, and how much of the reply it reads.

A visitor of a public deployment can type any base URL (custom backend, their
own OpenAI base URL, their own Azure endpoint). Without rules the server would
call whatever that URL names: its own ports, the cloud's metadata service, any
host on the private network. :func:`guarded_http_client` gives the SDK an HTTP
client whose transport

- resolves the host name (DNS) and refuses the request *before connecting*
  when any address it resolves to is loopback, private, link-local, CGNAT,
  a metadata service, multicast, reserved or unspecified (IPv4-mapped and
  other IPv6 forms of those included), or one of the app's own ports,
  unless :class:`Rules` allow private addresses;
- connects to the address it checked (pinned, with the original ``Host``
  header and TLS server name), so a second DNS answer cannot slip another
  address in (DNS rebinding), and checks every redirect the same way;
- reads at most ``max_reply_bytes`` of a reply within ``max_reply_seconds``.

Refusals are :class:`OutboundRefused`, replies cut short :class:`ReplyTooLarge`
(both ``openai.OpenAIError``, so the SDK passes them on unchanged and does not
retry); :func:`lib.errors.explain` turns them into one sentence. A refused
address gets the same sentence whether a port is open or closed there: no
connection is ever attempted.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx2
import openai

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Cloud metadata services: refused even where private addresses are allowed.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IPv6
        "100.100.100.200",  # Alibaba Cloud
    )
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

DEFAULT_MAX_REPLY_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_REPLY_SECONDS = 60.0


class OutboundRefused(openai.OpenAIError):
    """The server will not call this URL (a private address, the app's own port, a bad URL)."""


class ReplyTooLarge(openai.OpenAIError):
    """The reply was larger (or slower) than the server reads from a visitor-chosen address."""


@dataclass(frozen=True)
class Rules:
    """What a guarded client may reach.

    ``allow_private``: loopback, private and link-local addresses may be called
    (the owner allowed it, or the visitor's browser runs on the server's own
    machine). Metadata services, multicast and reserved addresses are refused
    anyway. ``own_ports``: ports of this app (Streamlit, the demo simulator),
    refused on every non-public address.
    """

    allow_private: bool = False
    own_ports: frozenset[int] = frozenset()
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES
    max_reply_seconds: float = DEFAULT_MAX_REPLY_SECONDS
    resolver: Resolver | None = field(default=None, compare=False)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), or None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_kind(ip: IPAddress | str) -> str | None:
    """What kind of non-public address ``ip`` is ("loopback", "private", "link-local", "metadata",
    "multicast", "reserved"), or None for a public address. IPv6 forms of IPv4 addresses count as
    the IPv4 address they carry."""
    ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    inner = _embedded_ipv4(ip)
    if inner is not None:
        kind = address_kind(inner)
        if kind is not None or ip.ipv4_mapped is not None:
            return kind
    if ip in METADATA_ADDRESSES:
        return "metadata"
    if ip.is_multicast:
        return "multicast"
    if ip.is_loopback or ip.is_unspecified:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT):
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


ALWAYS_REFUSED = frozenset({"metadata", "multicast", "reserved"})


def refusal(ip: IPAddress | str, port: int, rules: Rules) -> str | None:
    """Why ``rules`` refuse ``ip``:``port`` (a kind of address, or "own port"), or None if allowed."""
    kind = address_kind(ip)
    if kind is None:
        return None
    if kind in ALWAYS_REFUSED:
        return kind
    if port in rules.own_ports:
        return "own port"
    return None if rules.allow_private else kind


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), as strings."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0].split("%")[0] for info in infos))


def url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a base URL (one sentence), or None.

    Only ``http``/``https`` with a host; no user name or password, query or fragment
    (a query would let the URL rewrite every path the SDK calls).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "The URL is not valid; write it like https://example.com/v1."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "The URL must start with http:// or https:// and name a host."
    if parts.username is not None or parts.password is not None:
        return "The URL must not contain a user name or password."
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "The URL must not contain a query (?...) or fragment (#...)."
    del port
    return None


def _refused_sentence(host: str, kind: str) -> str:
    if kind == "own port":
        return f"This app does not call its own ports ({host}); use the address of another server."
    return (
        f"This app does not call {kind} network addresses ({host} is one); "
        "use a public address, or ask the app's owner to allow private addresses."
    )


def check_host(host: str, port: int, rules: Rules) -> str:
    """The address to connect to for ``host``:``port``, after checking every address it resolves to.

    Raises :class:`OutboundRefused` (before any connection) when one of them is refused, or when
    the name does not resolve.
    """
    host = host.strip("[]")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        resolve = rules.resolver or system_resolver
        try:
            addresses = [ipaddress.ip_address(a) for a in resolve(host, port)]
        except (OSError, UnicodeError, ValueError):
            raise OutboundRefused(f"Could not find the host {host}; check the URL.") from None
    if not addresses:
        raise OutboundRefused(f"Could not find the host {host}; check the URL.")
    for ip in addresses:
        kind = refusal(ip, port, rules)
        if kind is not None:
            raise OutboundRefused(_refused_sentence(host, kind))
    return str(addresses[0])


def check_url(url: str, rules: Rules) -> str:
    """Check a whole URL (syntax, then :func:`check_host`); returns the address to connect to."""
    problem = url_problem(url)
    if problem:
        raise OutboundRefused(problem)
    parts = urlsplit(url.strip())
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return check_host(parts.hostname or "", port, rules)


class _CappedStream(httpx2.SyncByteStream):
    """A reply body that stops at ``limit`` bytes or after ``deadline``."""

    def __init__(self, inner: httpx2.SyncByteStream, limit: int, seconds: float):
        self._inner, self._limit, self._seconds = inner, limit, seconds

    def __iter__(self) -> Iterator[bytes]:
        read, deadline = 0, time.monotonic() + self._seconds
        for chunk in self._inner:
            read += len(chunk)
            if read > self._limit:
                raise ReplyTooLarge(
                    f"The server's reply was larger than {self._limit // (1024 * 1024)} MB, "
                    "more than this app reads; check the URL."
                )
            if time.monotonic() > deadline:
                raise ReplyTooLarge(
                    f"The server took longer than {self._seconds:g} s to send its reply; "
                    "check the URL or try again later."
                )
            yield chunk

    def close(self) -> None:
        self._inner.close()


class GuardedTransport(httpx2.BaseTransport):
    """An HTTP transport that checks, pins and caps every request (see the module docstring)."""

    def __init__(self, rules: Rules):
        self.rules = rules
        # trust_env=False: an HTTP(S)_PROXY from the environment would connect instead of the pinned address.
        self._inner = httpx2.HTTPTransport(trust_env=False)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise OutboundRefused("The URL must start with http:// or https://.")
        port = url.port or (443 if url.scheme == "https" else 80)
        address = check_host(url.host, port, self.rules)
        extensions = dict(request.extensions)
        if url.scheme == "https":
            extensions["sni_hostname"] = url.host
        pinned = httpx2.Request(
            request.method,
            url.copy_with(host=address),
            headers=request.headers,
            stream=request.stream,
            extensions=extensions,
        )
        response = self._inner.handle_request(pinned)
        response.stream = _CappedStream(response.stream, self.rules.max_reply_bytes, self.rules.max_reply_seconds)
        return response

    def close(self) -> None:
        self._inner.close()


def guarded_http_client(rules: Rules, *, timeout: float) -> httpx2.Client:
    """An HTTP client for the ``openai`` SDK (``http_client=``) that only reaches what ``rules`` allow."""
    return httpx2.Client(
        transport=GuardedTransport(rules), timeout=timeout, follow_redirects=True, max_redirects=5, trust_env=False
    )
