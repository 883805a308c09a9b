"""Two browser sessions never share a key or a client (AppTest, one process like the server).

That the ``st.cache_resource`` trap is real, and that no cached function of the app falls into it, is
shown in tests/hardening/test_many_users.py.
"""

from streamlit.testing.v1 import AppTest

from tests.conftest import APP

PROBE = """
import streamlit as st
from lib import ui
conn = ui.page_setup("Probe", ":material/science:")
if conn.has_key and not conn.is_demo:
    st.session_state["client_key"] = ui.client(conn).api_key
"""


def _session_with_key(script: str, key: str) -> AppTest:
    at = AppTest.from_string(script, default_timeout=30)
    at.session_state["backend"] = "openai"
    at.run()
    at.sidebar.text_input(key="_openai_api_key").set_value(key).run()
    return at


def test_two_sessions_get_their_own_key_and_client():
    alice = _session_with_key(PROBE, "sk-ALICE-1111111111")
    bob = _session_with_key(PROBE, "sk-BOB-2222222222")
    alice.run()
    assert alice.session_state["client_key"] == "sk-ALICE-1111111111"
    assert bob.session_state["client_key"] == "sk-BOB-2222222222"
    assert alice.session_state["openai_api_key"] != bob.session_state["openai_api_key"]


def test_demo_sessions_get_distinct_private_keys():
    a = AppTest.from_file(str(APP), default_timeout=30).run()
    b = AppTest.from_file(str(APP), default_timeout=30).run()
    assert a.session_state["demo_api_key"].startswith("sk-demo-")
    assert a.session_state["demo_api_key"] != b.session_state["demo_api_key"]


def test_key_is_never_rendered_back():
    at = _session_with_key(PROBE, "sk-SECRET-3333333333")
    at.run()
    rendered = [str(getattr(el, "value", "")) for el in at.sidebar] + [str(getattr(el, "value", "")) for el in at.main]
    assert not any("sk-SECRET" in text for text in rendered)
    assert at.sidebar.button(key="_forget_openai_api_key")
    assert "Key set for this session" in " ".join(c.value for c in at.sidebar.caption)
    at.sidebar.button(key="_forget_openai_api_key").click().run()
    assert at.session_state["openai_api_key"] == ""


def test_only_a_loopback_host_name_counts_as_this_machine():
    from lib.ui import _loopback_host

    assert all(_loopback_host(h) for h in ("localhost:8501", "127.0.0.1:8501", "[::1]:8501", "LOCALHOST", "127.0.0.1"))
    assert not any(
        _loopback_host(h)
        for h in ("myapp.streamlit.app", "10.0.0.5:8501", "localhost.evil.example", "", None, "[2001:db8::1]:8501")
    )
