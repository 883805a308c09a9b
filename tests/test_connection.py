"""Connection settings and client factory: explicit keys, every backend, nothing leaks."""

import itertools

import openai
import pytest

from lib import outbound
from lib.connection import (
    BACKENDS,
    Connection,
    OwnerConfig,
    Policy,
    VisitorSettings,
    is_demo_key,
    make_client,
    new_demo_key,
    parse_policy,
    resolve,
)
from lib.errors import explain, redact
from lib.outbound import GuardedTransport, OutboundRefused, Rules

LOCAL = Rules(allow_private=True)  # what a browser on this machine gets: loopback allowed


def test_explicit_key_beats_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-OWNER-from-env")
    client = make_client(Connection("custom", api_key="sk-user", base_url="http://127.0.0.1:9/v1"))
    assert client.api_key == "sk-user"


def test_azure_backend_builds_azure_client():
    conn = Connection(
        "azure", api_key="az-key", azure_endpoint="https://x.openai.azure.com", api_version="2025-04-01-preview"
    )
    client = make_client(conn)
    assert isinstance(client, openai.AzureOpenAI)
    assert str(client.base_url).startswith("https://x.openai.azure.com/openai")


def test_openai_backend_honours_base_url_org_project():
    conn = Connection(
        "openai", api_key="sk-x", base_url="https://proxy.example/v1", organization="org-1", project="proj_1"
    )
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
    client = make_client(
        Connection("custom", api_key="sk-x", base_url="http://127.0.0.1:9/v1", outbound=LOCAL), max_retries=0, timeout=2
    )
    with pytest.raises(openai.APIConnectionError) as err:
        client.models.list()
    sentence = explain(err.value)
    assert "Could not reach the API" in sentence and "\n" not in sentence


@pytest.mark.parametrize("retry_after, wait", [(1, "in 1 second."), (2.5, "in 2.5 seconds."), (None, "in a moment.")])
def test_rate_limit_sentence_reads_retry_after_in_seconds(sim, retry_after, wait):
    sim.add_fault(429, method="GET", path="/models", retry_after=retry_after)
    client = make_client(
        Connection("custom", api_key="sk-rate-limited", base_url=sim.base_url, outbound=LOCAL), max_retries=0
    )
    with pytest.raises(openai.RateLimitError) as err:
        client.models.list()
    assert (
        explain(err.value, action="list models")
        == f"Rate limited (429) while trying to list models. Wait and try again {wait}"
    )


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


# ---------------------------------------------------------------- the owner's policy (lib.connection.resolve)

OWNER = OwnerConfig(
    openai_api_key="sk-OWNER-openai",
    openai_base_url="https://owner-proxy.example/v1",
    openai_organization="org-owner",
    openai_project="proj_owner",
    azure_api_key="az-OWNER",
    azure_endpoint="https://owner.openai.azure.com",
    azure_api_version="2024-10-21",
)
HOSTILE = "http://attacker.example/v1"


def visitor(backend, *, own_key=False, url=HOSTILE, local=False):
    key = "sk-VISITOR" if own_key else ""
    return VisitorSettings(
        backend=backend,
        demo_api_key=new_demo_key(),
        openai_api_key=key,
        openai_base_url=url,
        openai_organization="org-visitor",
        openai_project="proj_visitor",
        azure_api_key=key,
        azure_endpoint=url,
        azure_api_version="2099-01-01",
        custom_api_key=key,
        custom_base_url=url,
        is_local=local,
    )


POLICIES = [
    Policy(owner_key_users=users, custom_urls=custom, private_urls=private, local_visitors=lv)
    for users, custom, private, lv in itertools.product(
        ("local", "everyone", "nobody"), (True, False), (True, False), (True, False)
    )
]


@pytest.mark.parametrize(
    "policy",
    POLICIES,
    ids=lambda p: f"{p.owner_key_users}-c{p.custom_urls:d}-p{p.private_urls:d}-l{p.local_visitors:d}",
)
def test_the_owner_key_only_ever_goes_to_the_owners_addresses(policy):
    """Every backend x own key or not x local or not x with or without a typed URL, for every policy."""
    for backend, own_key, local, url in itertools.product(BACKENDS, (False, True), (False, True), (HOSTILE, "")):
        conn = resolve(OWNER, visitor(backend, own_key=own_key, url=url, local=local), policy)
        where = (backend, own_key, local, url)
        if conn.api_key in (OWNER.openai_api_key, OWNER.azure_api_key):
            assert conn.key_source == "owner" and conn.outbound is None, where
            assert not own_key and backend in ("openai", "azure"), where
            if backend == "openai":
                assert (conn.base_url, conn.organization, conn.project) == (
                    OWNER.openai_base_url,
                    OWNER.openai_organization,
                    OWNER.openai_project,
                ), where
            else:
                assert (conn.azure_endpoint, conn.api_version) == (OWNER.azure_endpoint, OWNER.azure_api_version), where
            may_use = policy.owner_key_users == "everyone" or (
                policy.owner_key_users == "local" and local and policy.local_visitors
            )
            assert may_use, where
        else:
            assert conn.key_source in ("visitor", "demo"), where
            # a typed address only ever carries the visitor's own key (or none: then no call is made)
            assert HOSTILE not in (conn.base_url, conn.azure_endpoint) or conn.api_key in ("sk-VISITOR", ""), where
            assert conn.api_key or conn.is_demo or conn.missing(), where
            if conn.key_source == "visitor":
                assert conn.outbound is not None, where
                assert conn.outbound.allow_private == (policy.private_urls or (local and policy.local_visitors)), where
                if url and not policy.custom_urls:
                    assert conn.missing() and "does not allow" in conn.missing(), where
        assert HOSTILE not in repr(conn.outbound)  # rules carry no address


def test_a_visitor_with_their_own_key_goes_where_they_point():
    conn = resolve(OWNER, visitor("openai", own_key=True), Policy())
    assert (conn.api_key, conn.base_url, conn.organization, conn.key_source) == (
        "sk-VISITOR",
        HOSTILE,
        "org-visitor",
        "visitor",
    )
    assert conn.outbound == outbound.Rules(allow_private=False)
    conn = resolve(OWNER, visitor("azure", own_key=True), Policy())
    assert (conn.api_key, conn.azure_endpoint, conn.api_version) == ("sk-VISITOR", HOSTILE, "2099-01-01")


def test_without_a_key_of_their_own_a_remote_visitor_of_a_public_app_gets_none():
    conn = resolve(OWNER, visitor("openai"), Policy())
    assert conn.api_key == "" and "API key" in conn.missing()
    team = resolve(OWNER, visitor("openai"), Policy(owner_key_users="everyone"))
    assert team.api_key == OWNER.openai_api_key and team.base_url == OWNER.openai_base_url


def test_custom_backend_never_uses_the_owners_key():
    for policy in POLICIES:
        for local in (False, True):
            conn = resolve(OWNER, visitor("custom", local=local), policy)
            if policy.custom_urls:
                assert conn.api_key == "" and conn.key_source == "visitor"
            else:  # no custom URLs: no custom backend either
                assert conn.is_demo and conn.api_key not in (OWNER.openai_api_key, OWNER.azure_api_key)


def test_a_backend_the_owner_did_not_offer_falls_back_to_the_first_offered():
    conn = resolve(OWNER, visitor("custom", own_key=True), Policy(backends=("demo", "openai")))
    assert conn.is_demo and conn.key_source == "demo" and is_demo_key(conn.api_key)
    assert Policy(custom_urls=False).offered_backends() == ("demo", "openai", "azure")
    assert Policy(backends=("openai",)).offered_backends() == ("openai",)
    conn = resolve(OWNER, visitor("demo", own_key=True), Policy(backends=("openai",)))
    assert conn.backend == "openai" and conn.api_key == "sk-VISITOR"


def test_a_url_with_a_query_is_refused_before_any_call():
    conn = resolve(OWNER, visitor("custom", own_key=True, url="https://x.example/v1?x="), Policy())
    with pytest.raises(ValueError, match="query"):
        make_client(conn)


def test_a_visitor_connection_built_without_rules_gets_the_strictest(sim):
    """A page that builds a Connection itself still cannot reach a private address with it."""
    client = make_client(Connection("custom", api_key="sk-x", base_url=sim.base_url), max_retries=0)
    before = len(sim.request_log)
    with pytest.raises(OutboundRefused, match="loopback"):
        client.models.list()
    assert len(sim.request_log) == before
    demo = make_client(Connection("demo", api_key="sk-demo"))  # the demo's URL is the app's own: not checked
    assert not isinstance(demo._client._transport, GuardedTransport)


def test_make_client_refuses_the_owner_key_with_visitor_rules():
    bad = Connection("openai", api_key="sk-OWNER", base_url=HOSTILE, key_source="owner", outbound=outbound.Rules())
    with pytest.raises(ValueError, match="never sent"):
        make_client(bad)


def test_labels_do_not_show_the_owners_addresses():
    for backend in ("openai", "azure"):
        conn = resolve(OWNER, visitor(backend, local=True), Policy())
        assert conn.key_source == "owner"
        assert "owner" in conn.label() and "owner-proxy" not in conn.label() and "azure.com" not in conn.label()


def test_policy_from_settings_with_secure_defaults():
    assert parse_policy(lambda name: None) == Policy()
    assert Policy().owner_key_users == "local" and not Policy().private_urls
    settings = {
        "TUNING_DESK_BACKENDS": "demo, openai, bogus",
        "TUNING_DESK_OWNER_KEY_USERS": "everyone",
        "TUNING_DESK_CUSTOM_URLS": "false",
        "TUNING_DESK_PRIVATE_URLS": "yes",
        "TUNING_DESK_LOCAL_VISITORS": "off",
    }
    policy = parse_policy(settings.get)
    assert policy == Policy(
        backends=("demo", "openai"),
        owner_key_users="everyone",
        custom_urls=False,
        private_urls=True,
        local_visitors=False,
    )
    junk = parse_policy({"TUNING_DESK_OWNER_KEY_USERS": "all", "TUNING_DESK_PRIVATE_URLS": "maybe"}.get)
    assert junk.owner_key_users == "local" and junk.private_urls is False


def test_demo_keys_are_signed_by_this_process():
    key = new_demo_key("2|6c3cfb03|bd2c12b31d0fed87735c057273551203|1795670181")
    assert is_demo_key(key) and is_demo_key(new_demo_key())
    space, signature = key[len("sk-demo-") :].split("-")
    forged = [
        None,
        "",
        "sk-anything",
        "sk-demo-" + space,
        f"sk-demo-{space}-{'0' * len(signature)}",
        f"sk-demo-{'a' * 24}-{signature}",
        key + "x",
        key[:-1],
    ]
    assert not any(is_demo_key(k) for k in forged)
