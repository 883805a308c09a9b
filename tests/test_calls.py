"""lib/calls: call policies per purpose, the failure guard of one run, the account cache."""

from __future__ import annotations

from lib import calls
from lib.connection import Connection


def test_each_purpose_builds_a_client_with_its_own_retries_and_timeout():
    conn = Connection("openai", api_key="sk-x", base_url="https://proxy.example/v1")
    for policy, retries, timeout in (
        (calls.READ, 1, 20.0),
        (calls.WATCH, 1, 15.0),
        (calls.CREATE, 0, 20.0),
        (calls.UPLOAD, 1, 20.0),
        (calls.PROBE, 0, 10.0),
    ):
        client = policy.client(conn)
        assert (client.max_retries, client.timeout) == (retries, timeout), policy.purpose
        quick = calls.PROBE.apply(client)
        assert (quick.max_retries, quick.timeout, quick.api_key) == (0, 10.0, "sk-x")


def test_the_guard_trips_on_the_first_failure_and_carries_a_callbacks_failure_in():
    guard = calls.FailureGuard()
    assert not guard and not guard.tripped
    guard.note("list")
    assert guard and guard.failures == ["list"]
    assert calls.FailureGuard.for_run(failed_before=True).failures == ["action"]
    assert not calls.FailureGuard.for_run(failed_before=False)


def test_account_reads_read_once_per_connection_and_again_after_forget():
    reads = calls.AccountReads()
    count = []

    def read():
        count.append(1)
        return [len(count)], None

    assert reads.get("conn-a", "files", read) == ([1], None)
    assert reads.get("conn-a", "files", read) == ([1], None) and reads.holds("conn-a", "files")
    assert not reads.holds("conn-b", "files")
    assert reads.get("conn-b", "files", read) == ([2], None)  # another connection starts afresh
    assert not reads.holds("conn-a", "files")  # only the current connection is kept
    reads.forget("files")
    assert reads.get("conn-b", "files", read) == ([3], None)
    reads.forget()
    assert not reads.holds("conn-b", "files")
