"""lib/outbound: which addresses a visitor's URL may reach, checked before connecting, pinned, capped.

Traffic goes to loopback only: private, link-local, metadata and public addresses are
checked through ``address_kind``/``check_host`` with a fake resolver and never connected to.
"""

from __future__ import annotations

import json
import socket
import time

import openai
import pytest

from lib import outbound
from lib.connection import Connection, check_connection, make_client
from lib.errors import explain
from lib.outbound import (
    OutboundRefused,
    ReplyTooLarge,
    Rules,
    address_kind,
    check_host,
    check_url,
    url_problem,
)
from tests.hardening.listener import Listener


@pytest.mark.parametrize(
    "address, kind",
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "loopback"),
        ("::", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("100.127.255.254", "private"),
        ("fd12:3456::1", "private"),
        ("fc00::1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        # IPv6 forms of IPv4 addresses count as the address they carry
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "metadata"),
        ("::ffff:7f00:1", "loopback"),
        ("2002:a00:1::1", "private"),
        ("2002:7f00:1::", "loopback"),
        ("64:ff9b::a9fe:a9fe", "metadata"),
        ("64:ff9b::c0a8:101", "private"),
        # public
        ("8.8.8.8", None),
        ("1.1.1.1", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("100.128.0.1", None),
        ("172.32.0.1", None),
    ],
)
def test_address_kinds(address, kind):
    assert address_kind(address) == kind


def test_private_addresses_allowed_only_by_rules_and_never_metadata_or_own_ports():
    strict, open_ = Rules(), Rules(allow_private=True, own_ports=frozenset({8501}))
    assert outbound.refusal("10.0.0.1", 443, strict) == "private"
    assert outbound.refusal("10.0.0.1", 443, open_) is None
    assert outbound.refusal("127.0.0.1", 8501, open_) == "own port"
    assert outbound.refusal("::ffff:127.0.0.1", 8501, open_) == "own port"
    assert outbound.refusal("169.254.169.254", 80, open_) == "metadata"
    assert outbound.refusal("224.0.0.1", 80, open_) == "multicast"
    assert outbound.refusal("8.8.8.8", 8501, strict) is None  # another machine's port 8501 is not ours


def fake_resolver(table):
    calls = []

    def resolve(host, port):
        calls.append(host)
        if host not in table:
            raise socket.gaierror("no such host")
        return table[host]

    resolve.calls = calls
    return resolve


def test_names_are_resolved_and_every_address_checked_before_connecting():
    resolve = fake_resolver(
        {
            "api.example": ["93.184.216.34"],
            "inside.example": ["10.0.0.7"],
            "mixed.example": ["93.184.216.34", "192.168.0.2"],
            "meta.example": ["169.254.169.254"],
            "v6.example": ["::ffff:127.0.0.1"],
        }
    )
    rules = Rules(resolver=resolve)
    assert check_host("api.example", 443, rules) == "93.184.216.34"
    for host in ("inside.example", "mixed.example", "meta.example", "v6.example"):
        with pytest.raises(OutboundRefused, match="does not call"):
            check_host(host, 443, rules)
    with pytest.raises(OutboundRefused, match="Could not find the host nowhere.example"):
        check_host("nowhere.example", 443, rules)
    assert resolve.calls == [
        "api.example",
        "inside.example",
        "mixed.example",
        "meta.example",
        "v6.example",
        "nowhere.example",
    ]


@pytest.mark.parametrize(
    "url, problem",
    [
        ("https://api.example/v1", None),
        ("http://localhost:8765/v1", None),
        ("http://[::1]:8765/v1", None),
        ("ftp://api.example/v1", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("api.example/v1", "http:// or https://"),
        ("https://user:pw@api.example/v1", "user name or password"),
        ("https://api.example/v1?x=", "query"),
        ("https://api.example/v1#frag", "fragment"),
        ("http://api.example:99999/v1", "not valid"),
    ],
)
def test_url_problems(url, problem):
    found = url_problem(url)
    assert (found is None) if problem is None else (problem in found)


# ---------------------------------------------------------------- real HTTP on loopback only
@pytest.fixture
def listener():
    server = Listener(
        lambda path: (
            200,
            "application/json",
            json.dumps(
                {"object": "list", "data": [{"id": "m-1", "object": "model", "created": 0, "owned_by": "x"}]}
            ).encode(),
        )
    )
    yield server
    server.close()


def visitor_conn(url: str, rules: Rules, key: str = "sk-visitor-own") -> Connection:
    return Connection("custom", api_key=key, base_url=url, outbound=rules)


def test_a_remote_visitor_cannot_reach_loopback_and_the_sentence_hides_whether_a_port_is_open(listener):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    sentences = []
    for url in (listener.url, f"http://127.0.0.1:{closed_port}/v1"):
        check = check_connection(visitor_conn(url, Rules()))
        assert not check.ok
        sentences.append(check.message.replace(str(listener.port), "PORT").replace(str(closed_port), "PORT"))
    assert sentences[0] == sentences[1] and "does not call loopback" in sentences[0]
    assert listener.requests == []


def test_a_local_visitor_reaches_its_own_server_with_its_own_key(listener):
    check = check_connection(visitor_conn(listener.url, Rules(allow_private=True)))
    assert check.ok and check.models == ("m-1",)
    assert listener.requests[0]["headers"]["authorization"] == "Bearer sk-visitor-own"


def test_the_apps_own_ports_are_refused_even_for_a_local_visitor(listener):
    check = check_connection(
        visitor_conn(listener.url, Rules(allow_private=True, own_ports=frozenset({listener.port})))
    )
    assert not check.ok and "its own ports" in check.message
    assert listener.requests == []


def test_redirects_are_checked_like_the_first_request(listener):
    target = Listener()
    try:
        listener.answer = lambda path: (302, "text/plain", f"http://127.0.0.1:{target.port}/v1/models".encode())
        rules = Rules(allow_private=True, own_ports=frozenset({target.port}))
        check = check_connection(visitor_conn(listener.url, rules))
        assert not check.ok and "its own ports" in check.message
        assert len(listener.requests) == 1 and target.requests == []
    finally:
        target.close()


def test_the_checked_address_is_the_one_connected_to(listener):
    """DNS rebinding: the name is resolved once, checked, and that address is used (Host header kept)."""
    resolve = fake_resolver({"rebind.invalid": ["127.0.0.1"]})
    check = check_connection(
        visitor_conn(f"http://rebind.invalid:{listener.port}/v1", Rules(allow_private=True, resolver=resolve))
    )
    assert check.ok  # the system resolver does not know rebind.invalid: the pinned address was used
    assert resolve.calls == ["rebind.invalid"]
    assert listener.requests[0]["headers"]["host"] == f"rebind.invalid:{listener.port}"


@pytest.mark.parametrize(
    "reply, words",
    [
        ((200, "text/plain", b"hello"), "not with a list of models"),
        ((200, "text/html", b"<html><body>login</body></html>"), "not with a list of models"),
        ((200, "application/json", b'{"data": "nope"}'), "not with a list of models"),
        ((200, "application/json", b"[1, 2, 3]"), "not with a list of models"),
        ((500, "text/html", b"<h1>oops</h1>"), "internal error"),
        (
            (
                404,
                "application/json",
                json.dumps({"error": {"message": "[x](https://evil.example) " + "y" * 5000}}).encode(),
            ),
            "Not found (404)",
        ),
    ],
)
def test_any_reply_becomes_one_short_sentence(listener, reply, words):
    listener.answer = lambda path: reply
    check = check_connection(visitor_conn(listener.url, Rules(allow_private=True)))
    assert not check.ok and words in check.message
    assert "\n" not in check.message and len(check.message) < 400


def test_a_huge_reply_is_cut_and_said_in_one_sentence(listener):
    model = {"id": "m" * 100, "object": "model", "created": 0, "owned_by": "x"}
    body = json.dumps({"object": "list", "data": [model] * 200_000}).encode()  # about 32 MB
    listener.answer = lambda path: (200, "application/json", body)
    started = time.monotonic()
    check = check_connection(visitor_conn(listener.url, Rules(allow_private=True, max_reply_bytes=2 * 1024 * 1024)))
    assert not check.ok and "larger than 2 MB" in check.message
    assert time.monotonic() - started < 10


def test_a_reply_trickled_slowly_is_cut_at_the_deadline(listener):
    def trickle():
        yield b'{"object": "list", "data": ['
        for _ in range(40):
            time.sleep(0.1)
            yield b" " * 10
        yield b"]}"

    listener.answer = lambda path: (200, "application/json", trickle())
    client = make_client(visitor_conn(listener.url, Rules(allow_private=True, max_reply_seconds=1.0)), max_retries=0)
    with pytest.raises(ReplyTooLarge) as err:
        client.models.list()
    assert "longer than 1 s" in explain(err.value)


def test_check_url_resolves_nothing_for_a_bad_url():
    resolve = fake_resolver({})
    with pytest.raises(OutboundRefused, match="query"):
        check_url("https://api.example/v1?x=", Rules(resolver=resolve))
    assert resolve.calls == []


def test_refusals_pass_through_the_sdk_without_retries(listener):
    client = make_client(visitor_conn(listener.url, Rules()), max_retries=3)
    started = time.monotonic()
    with pytest.raises(OutboundRefused):
        client.models.list()
    assert time.monotonic() - started < 2 and listener.requests == []
    with pytest.raises(openai.OpenAIError):  # it is an SDK error: pages' `except openai.OpenAIError` catch it
        client.fine_tuning.jobs.list()


def test_a_page_reading_a_plain_text_reply_gets_one_sentence(listener):
    """Launch and Jobs call the SDK directly: a 200 in plain text breaks its parsing, explain() says so."""
    listener.answer = lambda path: (200, "text/plain", b"hello")
    client = make_client(visitor_conn(listener.url, Rules(allow_private=True)), max_retries=0)
    with pytest.raises(Exception) as err:
        [m.id for m in client.models.list()]
    sentence = explain(err.value, action="list the account's models")
    assert "not in a form this app can read" in sentence and "hello" not in sentence


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "localhost", "[::ffff:127.0.0.1]"])
def test_other_spellings_of_loopback_are_refused(host):
    """Numeric forms the C library accepts resolve locally (no DNS query, no connection) and are checked."""
    with pytest.raises(OutboundRefused, match="loopback"):
        check_url(f"http://{host}:8080/v1", Rules())
