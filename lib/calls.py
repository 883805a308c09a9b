"""How the pages call the API: a retry-and-timeout policy per purpose, one failure guard, one account cache.

A page never chooses ``max_retries`` or ``timeout`` at a call site; it names what the call is for:

- :data:`READ`: listing models, files and jobs, reading a file back. One retry, because a read is safe
  to repeat; the connection's bounded timeout, so a silent backend costs about 41 s at worst.
- :data:`WATCH`: the Jobs page's reads. Like :data:`READ` with a shorter timeout: the page polls every
  few seconds, and a poll that hangs holds the whole page.
- :data:`CREATE`: the call that costs money (creating a job). No automatic retry: the SDK would resend
  it, and only the idempotency key the page keeps may repeat it.
- :data:`UPLOAD`: sending a file. One retry: a repeated upload costs nothing but a second file.
- :data:`PROBE`: an optional look (is there a twin of this job?) whose failure only drops a warning.
  No retry, a short timeout.

:class:`FailureGuard` is the "stop calling after the first failure of a run" switch: once a call of
this script run found the API unreachable or failing, later calls of the same run show what was last
seen instead of waiting again, so a backend that is down costs one bounded wait and one sentence.

:class:`AccountReads` keeps what one connection's account held when it was last read (models, files,
jobs), with the error of a failed read, for the current connection only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lib.connection import CALL_TIMEOUT_S, DEFAULT_MAX_RETRIES, Connection, make_client


@dataclass(frozen=True)
class CallPolicy:
    """How often a call is tried and how long each try may wait."""

    purpose: str
    max_retries: int
    timeout_s: float

    def client(self, conn: Connection):
        """An SDK client for ``conn`` with this policy (built per call; never shared across sessions)."""
        return make_client(conn, max_retries=self.max_retries, timeout=self.timeout_s)

    def apply(self, client):
        """``client`` with this policy's retries and timeout (same connection, same key)."""
        return client.with_options(max_retries=self.max_retries, timeout=self.timeout_s)


READ = CallPolicy("read", max_retries=DEFAULT_MAX_RETRIES, timeout_s=CALL_TIMEOUT_S)
WATCH = CallPolicy("watch", max_retries=DEFAULT_MAX_RETRIES, timeout_s=15.0)
CREATE = CallPolicy("create", max_retries=0, timeout_s=CALL_TIMEOUT_S)
UPLOAD = CallPolicy("upload", max_retries=DEFAULT_MAX_RETRIES, timeout_s=CALL_TIMEOUT_S)
PROBE = CallPolicy("probe", max_retries=0, timeout_s=10.0)


@dataclass
class FailureGuard:
    """The calls of one script run that failed; once one has, the rest of the run asks no more.

    Build a new one at the top of every run (``FailureGuard.for_run(...)``); a failure in a button
    callback, which runs just before the script, is carried in with ``failed_before``.
    """

    failures: list[str] = field(default_factory=list)

    @classmethod
    def for_run(cls, failed_before: bool = False, what: str = "action") -> FailureGuard:
        """A guard for a new run, already tripped when a callback of this run has failed."""
        return cls([what] if failed_before else [])

    def note(self, what: str) -> None:
        """Record that the call for ``what`` failed: later calls of this run are skipped."""
        self.failures.append(what)

    @property
    def tripped(self) -> bool:
        """True once a call of this run has failed."""
        return bool(self.failures)

    def __bool__(self) -> bool:
        return self.tripped


class AccountReads:
    """What one connection's account holds, read once per session; another connection starts afresh.

    Each value is read by the page's ``read()`` (which returns the value and the sentence of a failed
    read, or None) and kept until :meth:`forget` (a Refresh button, or after the account changed).
    """

    def __init__(self) -> None:
        self._connection: str | None = None
        self._values: dict[str, tuple[Any, str | None]] = {}

    def get(self, connection: str, name: str, read: Callable[[], tuple[Any, str | None]]) -> tuple[Any, str | None]:
        """``(value, error)`` of ``name`` for ``connection``, read with ``read()`` the first time."""
        if connection != self._connection:
            self._connection, self._values = connection, {}
        if name not in self._values:
            self._values[name] = read()
        return self._values[name]

    def holds(self, connection: str, name: str) -> bool:
        """True when ``name`` was read for ``connection`` (a later :meth:`get` makes no call)."""
        return connection == self._connection and name in self._values

    def forget(self, name: str | None = None) -> None:
        """Read ``name`` (every value when None) again on its next use."""
        if name is None:
            self._values = {}
        else:
            self._values.pop(name, None)
