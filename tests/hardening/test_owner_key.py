"""The owner's key goes only where the owner pointed it; a visitor's address is bounded (issue 11).

A hostile listener on 127.0.0.1 plays the server a visitor controls. The app owner configures a
key (OpenAI or Azure; in the environment or in the secrets file) pointing at the simulator. The
visitor then puts the listener's address in every field a visitor could type into (and in the
session's settings directly, as an old sidebar would have kept them), presses *Test connection*
and opens every page. The listener must receive the owner's key 0 times, while the owner's
endpoint does receive it (so the check is not vacuous). Then the visitor's own key and URL must
still work, and a visitor from another machine must not reach private addresses.

"Another machine" is played without remote traffic: ``lib.ui.visitor_is_local`` is replaced in
this process (AppTest), and a browser test sets the owner policy that treats loopback browsers as
remote (``TUNING_DESK_LOCAL_VISITORS=false``).
"""

from __future__ import annotations

import secrets

import pytest
from streamlit.testing.v1 import AppTest

from lib import ui
from lib.simulator.state import key_id
from tests.conftest import APP, ROOT
from tests.hardening import figures
from tests.hardening.listener import Listener

PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
OWNER_OPENAI = "sk-owner-openai-" + secrets.token_hex(12)
OWNER_AZURE = "owner-azure-" + secrets.token_hex(16)
POLICY_NAMES = (
    "TUNING_DESK_BACKENDS",
    "TUNING_DESK_OWNER_KEY_USERS",
    "TUNING_DESK_CUSTOM_URLS",
    "TUNING_DESK_PRIVATE_URLS",
    "TUNING_DESK_LOCAL_VISITORS",
)


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _default_policy(monkeypatch):
    for name in POLICY_NAMES:
        monkeypatch.delenv(name, raising=False)


def owner_settings(sim, backend: str) -> dict[str, str]:
    if backend == "openai":
        return {"OPENAI_API_KEY": OWNER_OPENAI, "OPENAI_BASE_URL": sim.base_url}
    return {"AZURE_OPENAI_API_KEY": OWNER_AZURE, "AZURE_OPENAI_ENDPOINT": sim.root_url}


def widget(at: AppTest, key: str):
    found = [w for w in at.sidebar.text_input if w.key == key]
    return found[0] if found else None


def visit_as_attacker(at: AppTest, listener: Listener) -> list[str]:
    """Type the listener's address wherever the sidebar offers a field, test, open every page."""
    typed = []
    for key, value in (
        ("_openai_base_url", listener.url),
        ("_azure_endpoint", listener.root_url),
        ("_custom_base_url", listener.url),
    ):
        box = widget(at, key)
        if box is not None:
            box.set_value(value)
            typed.append(key)
    at.run()
    at.sidebar.button(key="_test_connection").click().run()
    for page in PAGES:
        at.switch_page(page).run()
        at.sidebar.button(key="_test_connection").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return typed


def owner_key_calls(sim, key: str) -> int:
    return sum(1 for r in sim.request_log if r["key_id"] == key_id(key))


@pytest.mark.parametrize("backend", ["openai", "azure"])
@pytest.mark.parametrize("source", ["environment", "secrets file"])
@pytest.mark.parametrize("visitor", ["local", "remote, team app"])
def test_the_owner_key_never_reaches_a_visitors_address(sim, listener, monkeypatch, backend, source, visitor):
    key = OWNER_OPENAI if backend == "openai" else OWNER_AZURE
    with figures.case("owner key", f"{backend}, {source}, {visitor} visitor") as case:
        monkeypatch.setattr(ui, "visitor_is_local", lambda: visitor == "local", raising=False)
        if visitor != "local":
            monkeypatch.setenv("TUNING_DESK_OWNER_KEY_USERS", "everyone")
        at = AppTest.from_file(str(APP), default_timeout=60)
        for name, value in owner_settings(sim, backend).items():
            if source == "environment":
                monkeypatch.setenv(name, value)
            else:
                at.secrets[name] = value
        at.session_state["backend"] = backend
        # What an old sidebar kept: the visitor's address in the session's settings.
        for name, value in (
            ("openai_base_url", listener.url),
            ("azure_endpoint", listener.root_url),
            ("custom_base_url", listener.url),
            ("openai_organization", "org-attacker"),
        ):
            at.session_state[name] = value
        at.run()
        before = owner_key_calls(sim, key)
        visit_as_attacker(at, listener)
        at.switch_page(PAGES[0]).run()
        for other in ("custom", "openai" if backend == "azure" else "azure"):  # the key must not follow a switch
            at.sidebar.selectbox(key="_backend").set_value(other).run()
            visit_as_attacker(at, listener)
        stolen = len(listener.carrying(key))
        used = owner_key_calls(sim, key) - before
        case.figures.update(calls=used + stolen, left=stolen)
        assert stolen == 0, listener.carrying(key)[:3]
        assert used > 0  # the owner's key did work, at the owner's endpoint
        assert not any(r["headers"].get("openai-organization") == "org-attacker" for r in listener.requests)


def test_a_remote_visitor_of_a_public_app_does_not_get_the_owners_key(sim, listener, monkeypatch):
    with figures.case("owner key", "public app, remote visitor") as case:
        monkeypatch.setattr(ui, "visitor_is_local", lambda: False, raising=False)
        monkeypatch.setenv("OPENAI_API_KEY", OWNER_OPENAI)
        monkeypatch.setenv("OPENAI_BASE_URL", sim.base_url)
        at = AppTest.from_file(str(APP), default_timeout=60).run()
        assert at.session_state["backend"] == "demo"  # the owner's account is not the default either
        at.sidebar.selectbox(key="_backend").set_value("openai").run()
        before = owner_key_calls(sim, OWNER_OPENAI)
        visit_as_attacker(at, listener)
        case.figures.update(
            calls=owner_key_calls(sim, OWNER_OPENAI) - before, left=len(listener.carrying(OWNER_OPENAI))
        )
        assert owner_key_calls(sim, OWNER_OPENAI) == before and listener.carrying(OWNER_OPENAI) == []
        assert widget(at, "_openai_api_key") is not None  # asked for the visitor's own key instead


def visit_with_own_key(listener: Listener, monkeypatch, *, local: bool) -> tuple[str, str]:
    """A visitor (``local`` or from another machine) types the listener's URL and their own key, tests the
    connection and opens every page. Returns what the sidebar said to the test, and the key."""
    monkeypatch.setattr(ui, "visitor_is_local", lambda: local, raising=False)
    key = "sk-visitor-" + secrets.token_hex(8)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["backend"] = "custom"
    at.run()
    widget(at, "_custom_base_url").set_value(listener.url).run()
    widget(at, "_custom_api_key").set_value(key).run()
    at.sidebar.button(key="_test_connection").click().run()
    said = " ".join(str(e.value) for e in [*at.sidebar.success, *at.sidebar.error]).replace("\\", "")
    for page in PAGES:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return said, key


def test_a_local_visitors_own_key_and_url_still_work(listener, monkeypatch):
    with figures.case("outbound", "local visitor, own key and loopback URL") as case:
        said, mine = visit_with_own_key(listener, monkeypatch, local=True)
        assert "Reached Custom" in said
        assert listener.carrying(mine) and len(listener.carrying(mine)) == len(listener.requests)
        case.figures.update(private=0, reached=0)


def test_a_remote_visitor_cannot_reach_private_addresses(listener, monkeypatch):
    """Loopback for real (it is refused before connecting); the other kinds through the resolver."""
    from lib import outbound
    from lib.connection import Policy, VisitorSettings, visitor_rules

    with figures.case("outbound", "remote visitor, private addresses") as case:
        said, _ = visit_with_own_key(listener, monkeypatch, local=False)
        assert "does not call loopback" in said
        reached = len(listener.requests)
        # every other kind of private address, as the app's rules for this visitor see it (no connection)
        rules = visitor_rules(VisitorSettings(is_local=False), Policy())
        private = [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "fd00:ec2::254",
            "fe80::1",
            "fc00::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "224.0.0.1",
        ]
        table = {f"h{i}.example": [a] for i, a in enumerate(private)}
        rules = outbound.Rules(
            allow_private=rules.allow_private, own_ports=rules.own_ports, resolver=lambda host, port: table[host]
        )
        for host in table:
            with pytest.raises(outbound.OutboundRefused):
                outbound.check_url(f"http://{host}/v1", rules)
        case.figures.update(private=len(private) + 1, reached=reached)
        assert reached == 0


def test_the_owners_policy_in_the_secrets_file_narrows_the_sidebar(monkeypatch):
    with figures.case("owner key", "policy from the secrets file") as case:
        monkeypatch.setattr(ui, "visitor_is_local", lambda: False, raising=False)
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.secrets["TUNING_DESK_BACKENDS"] = "demo,openai"
        at.secrets["TUNING_DESK_CUSTOM_URLS"] = False
        at.session_state["backend"] = "custom"  # not offered: falls back to what is
        at.run()
        assert at.sidebar.selectbox(key="_backend").options == ["Demo (local simulator)", "OpenAI"]
        at.sidebar.selectbox(key="_backend").set_value("openai").run()
        widget(at, "_openai_api_key").set_value("sk-visitor-own").run()
        assert widget(at, "_openai_base_url") is None and widget(at, "_openai_organization") is not None
        assert not at.exception
        case.figures.update(calls=0, left=0)
