"""Connection settings and client factory: explicit keys, every backend, nothing leaks."""

import openai
import pytest

from lib.connection import Connection, make_client
from lib.errors import explain, redact


def test_explicit_key_beats_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-OWNER-from-env")
    client = make_client(Connection("custom", api_key="sk-user", base_url="http://127.0.0.1:9/v1"))
    assert client.api_key == "sk-user"


def test_azure_backend_builds_azure_client():
    conn = Connection("azure", api_key="az-key", azure_endpoint="https://x.openai.azure.com", api_version="2025-04-01-preview")
    client = make_client(conn)
    assert isinstance(client, openai.AzureOpenAI)
    assert str(client.base_url).startswith("https://x.openai.azure.com/openai")


def test_openai_backend_honours_base_url_org_project():
    conn = Connection("openai", api_key="sk-x", base_url="https://proxy.example/v1", organization="org-1", project="proj_1")
    client = make_client(conn)
    assert str(client.base_url) == "https://proxy.example/v1/"
    assert (client.organization, client.project) == ("org-1", "proj_1")


def test_missing_settings_give_one_sentence():
    with pytest.raises(ValueError, match="API key"):
        make_client(Connection("openai"))
    with pytest.raises(ValueError, match="endpoint"):
        make_client(Connection("azure", api_key="k"))


def test_key_not_in_repr_or_fingerprint():
    conn = Connection("openai", api_key="sk-VERYSECRET123")
    assert "VERYSECRET" not in repr(conn)
    assert "VERYSECRET" not in conn.fingerprint()
    assert conn.fingerprint() != Connection("openai", api_key="sk-other").fingerprint()


def test_redact_hides_full_and_masked_keys():
    assert "abcd" not in redact("Incorrect API key provided: sk-abcd1234efgh.")
    assert "***" not in redact("Incorrect API key provided: sk-abc***********wxyz")


def test_connection_refused_is_one_sentence():
    client = make_client(Connection("custom", api_key="sk-x", base_url="http://127.0.0.1:9/v1"), max_retries=0, timeout=2)
    with pytest.raises(openai.APIConnectionError) as err:
        client.models.list()
    sentence = explain(err.value)
    assert "Could not reach the API" in sentence and "\n" not in sentence


@pytest.mark.parametrize("retry_after, wait", [(1, "in 1 second."), (2.5, "in 2.5 seconds."), (None, "in a moment.")])
def test_rate_limit_sentence_reads_retry_after_in_seconds(sim, retry_after, wait):
    sim.add_fault(429, method="GET", path="/models", retry_after=retry_after)
    client = make_client(Connection("custom", api_key="sk-rate-limited", base_url=sim.base_url), max_retries=0)
    with pytest.raises(openai.RateLimitError) as err:
        client.models.list()
    assert explain(err.value, action="list models") == f"Rate limited (429) while trying to list models. Wait and try again {wait}"


def test_demo_key_follows_the_browser_not_the_session():
    from lib.connection import new_demo_key, xsrf_token

    # two responses to one browser: different masks, same token underneath
    first = "2|6c3cfb03|bd2c12b31d0fed87735c057273551203|1795670181"
    second = "2|0734eab9|d62403097607fc3d185414c8185d03b9|1795670181"
    assert xsrf_token(first) == xsrf_token(second)
    assert new_demo_key(first) == new_demo_key(second)
    other_browser = "2|0734eab9|d62403097607fc3d185414c8185d0300|1795670181"
    assert new_demo_key(other_browser) != new_demo_key(first)
    # the key reveals nothing of the token
    assert xsrf_token(first).hex() not in new_demo_key(first)


@pytest.mark.parametrize("cookie", [None, "", "garbage", "2|zz|yy|1", "1|aa|bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb|1"])
def test_demo_key_without_a_usable_cookie_is_random(cookie):
    from lib.connection import new_demo_key

    a, b = new_demo_key(cookie), new_demo_key(cookie)
    assert a.startswith("sk-demo-") and a != b
