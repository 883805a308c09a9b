"""The simulator's stored objects (no HTTP here): errors, ids, the virtual clock, files, uploads, a key's space.

A job and its time model live in :mod:`lib.simulator.job`, its loss curve in :mod:`lib.simulator.curve`.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import string
import threading
import time
from dataclasses import dataclass, field

_ALNUM = string.ascii_letters + string.digits
MIB = 1024 * 1024


class ApiError(Exception):
    """An error answer of the API: HTTP status plus the ``error`` object fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def new_id(prefix: str, length: int = 24) -> str:
    """A fresh random id like the service's (``ftjob-`` + 24 letters and digits)."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def stable_id(prefix: str, *parts: object, length: int = 24) -> str:
    """An id derived from ``parts``: the same event or checkpoint keeps its id on every request."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    while len(digest) < length:
        digest += hashlib.sha256(digest).digest()
    return prefix + "".join(_ALNUM[byte % len(_ALNUM)] for byte in digest[:length])


def stable_hex(*parts: object, length: int = 32) -> str:
    """Hex digits derived from ``parts`` (Azure's ids are lowercase hex: ``ftchkpt-<hex>``)."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:length]


def new_hex(length: int = 32) -> str:
    """Fresh random lowercase hex digits, as in Azure's ``ftjob-<hex>`` and ``file-<hex>`` ids."""
    return secrets.token_hex((length + 1) // 2)[:length]


def key_id(api_key: str) -> str:
    """A short fingerprint of an API key: safe to log, never reversible to the key."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


class VirtualClock:
    """Virtual seconds that advance ``speed`` times faster than the wall clock.

    Changing the speed re-anchors the clock, so virtual time never jumps; the
    history of anchors lets any virtual instant be turned back into wall time.
    """

    def __init__(self, speed: float = 1.0, wall=time.time):
        self._wall = wall
        self._lock = threading.Lock()
        self._anchors = [(wall(), 0.0, self._checked(speed))]  # (wall, virtual, speed)

    @staticmethod
    def _checked(speed: float) -> float:
        speed = float(speed)
        if not speed > 0 or not math.isfinite(speed):
            raise ValueError(f"speed must be a positive number; got {speed!r}")
        return speed

    @property
    def speed(self) -> float:
        return self._anchors[-1][2]

    @speed.setter
    def speed(self, value: float) -> None:
        value = self._checked(value)
        with self._lock:
            now = self._wall()
            self._anchors.append((now, self._virtual_at(now), value))

    def _virtual_at(self, wall_time: float) -> float:
        wall0, virtual0, speed = self._anchors[-1]
        return virtual0 + (wall_time - wall0) * speed

    def now(self) -> float:
        """The current virtual time."""
        return self._virtual_at(self._wall())

    def wall_time_of(self, virtual: float) -> float:
        """The wall-clock time at which the virtual clock reads (or will read) ``virtual``."""
        anchors = self._anchors
        for index in range(len(anchors) - 1, -1, -1):
            wall0, virtual0, speed = anchors[index]
            if virtual >= virtual0 or index == 0:
                return wall0 + (virtual - virtual0) / speed
        raise AssertionError("unreachable")


# --- files and uploads ---------------------------------------------------------------------------


@dataclass
class FileCheck:
    """What the service learns from a training (or validation) file while validating it."""

    examples: int
    billed_tokens_per_epoch: int
    format: str | None
    first_error_line: int | None = None
    first_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_error is None


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes = field(repr=False)
    created_at: int
    expires_at: int | None = None
    checks: dict = field(default_factory=dict, repr=False)  # (model, method) -> FileCheck

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
            "expires_at": self.expires_at,
        }


@dataclass
class Upload:
    id: str
    filename: str
    purpose: str
    declared_bytes: int
    mime_type: str
    created_at: int
    expires_at: int
    status: str = "pending"
    parts: dict = field(default_factory=dict, repr=False)  # part id -> bytes
    file: StoredFile | None = None

    def refresh(self, wall_now: float) -> None:
        if self.status == "pending" and wall_now >= self.expires_at:
            self.status = "expired"
            self.parts.clear()

    @property
    def stored_bytes(self) -> int:
        return sum(len(p) for p in self.parts.values())

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "object": "upload",
            "bytes": self.declared_bytes,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
            "file": self.file.to_dict() if self.file else None,
        }


@dataclass
class Namespace:
    """Everything one API key owns: no other key can see any of it."""

    key_id: str
    org_id: str
    last_used: float
    files: dict = field(default_factory=dict)
    uploads: dict = field(default_factory=dict)
    jobs: dict = field(default_factory=dict)
    idempotency: dict = field(default_factory=dict)  # Idempotency-Key -> job id
    models: dict = field(default_factory=dict)  # fine-tuned model name -> (created_at, job)

    @property
    def stored_bytes(self) -> int:
        return sum(len(f.data) for f in self.files.values()) + sum(u.stored_bytes for u in self.uploads.values())
