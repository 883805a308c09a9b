"""Training files on the account: listing, uploading (Files API, or the Uploads API in parts), reading back."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import openai

from lib.catalog import (
    load_catalog,
)
from lib.display import human_size
from lib.errors import explain
from lib.handoff import LaunchFile

JSONL_MIME = "text/jsonl"
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class AccountFile:
    """A ``fine-tune`` file already on the account."""

    id: str
    filename: str
    bytes: int
    created_at: int

    def label(self) -> str:
        """``train.jsonl · 1.2 MB · 2026-11-20 14:03 · file-abc``."""
        created = dt.datetime.fromtimestamp(self.created_at, dt.timezone.utc)
        return f"{self.filename} · {human_size(self.bytes)} · {created:%Y-%m-%d %H:%M} UTC · {self.id}"


class Picked(NamedTuple):
    """The file chosen for one role: its bytes (to check and upload), or its account id, or both."""

    file: LaunchFile | None = None
    account_id: str | None = None
    unreadable: str | None = None  # why an account file could not be read back to check it
    name: str = ""

    @property
    def chosen(self) -> bool:
        return self.file is not None or self.account_id is not None


def list_training_files(client: openai.OpenAI, *, limit: int = 200) -> list[AccountFile]:
    """The account's ``purpose=fine-tune`` files, newest first (at most ``limit``)."""
    files: list[AccountFile] = []
    for f in client.files.list(purpose="fine-tune", order="desc", limit=min(limit, 10_000)):
        files.append(AccountFile(f.id, f.filename, int(f.bytes or 0), int(f.created_at or 0)))
        if len(files) >= limit:
            break
    return sorted(files, key=lambda f: f.created_at, reverse=True)


def account_files(make_client: Callable[[], openai.OpenAI]) -> tuple[list[AccountFile], str | None]:
    """The account's fine-tune files, or none and the one sentence that says why they could not be listed."""
    try:
        return list_training_files(make_client()), None
    except Exception as exc:
        return [], explain(exc, action="list the account's files")


class FileTooLargeError(ValueError):
    """The file is above what even the Uploads API accepts."""


def too_large_to_train(name: str, size_bytes: int) -> str | None:
    """Why a file of ``size_bytes`` cannot be a training file (over OpenAI's upload limit), else None."""
    limit = load_catalog().limits["max_upload_bytes"]
    if size_bytes <= limit:
        return None
    return (
        f"{name} is {human_size(size_bytes)}; OpenAI accepts training files up to {human_size(limit)}. "
        "Split it or sample fewer examples."
    )


def upload_file(
    client: openai.OpenAI,
    name: str,
    data: bytes,
    *,
    progress: ProgressCallback | None = None,
    single_request_limit: int | None = None,
    part_size: int | None = None,
) -> AccountFile:
    """Upload ``data`` as a ``fine-tune`` file and return it.

    Up to ``single_request_limit`` (the catalog's 512 MB) it is one
    ``files.create``; above it the Uploads API takes it in parts of
    ``part_size`` (the catalog's 64 MB): ``uploads.create``, one
    ``parts.create`` per part, then ``uploads.complete`` with the parts in
    order and the MD5. ``progress(sent_bytes, total_bytes)`` is called before
    the first byte and after each request. A failed multi-part upload is
    cancelled (best effort) before the error propagates.
    """
    limits = load_catalog().limits
    single = limits["max_file_bytes"] if single_request_limit is None else single_request_limit
    part = part_size or limits["upload_part_bytes"]
    total = len(data)
    refused = too_large_to_train(name, total)
    if refused:
        raise FileTooLargeError(refused)
    report = progress or (lambda sent, size: None)
    report(0, total)
    if total <= single:
        created = client.files.create(file=(name, data, JSONL_MIME), purpose="fine-tune")
        report(total, total)
        return AccountFile(
            created.id, created.filename or name, int(created.bytes or total), int(created.created_at or 0)
        )
    upload = client.uploads.create(bytes=total, filename=name, mime_type=JSONL_MIME, purpose="fine-tune")
    try:
        part_ids = []
        for offset in range(0, total, part):
            chunk = data[offset : offset + part]
            part_ids.append(client.uploads.parts.create(upload.id, data=chunk).id)
            report(offset + len(chunk), total)
        done = client.uploads.complete(upload.id, part_ids=part_ids, md5=hashlib.md5(data).hexdigest())
    except BaseException:
        try:
            client.uploads.cancel(upload.id)
        except Exception:  # the original error is the one worth showing
            pass
        raise
    f = done.file
    return AccountFile(f.id, f.filename or name, int(f.bytes or total), int(f.created_at or 0))


# Reading an account file back to check it holds it in memory; above this size the page does not try.
MAX_READBACK_BYTES = 100_000_000


def read_account_file(client: openai.OpenAI, file: AccountFile, *, max_bytes: int = MAX_READBACK_BYTES) -> bytes:
    """The content of a file already on the account, to check it before a launch.

    OpenAI may refuse to hand back ``fine-tune`` files (the caller then
    launches without a local check); files above ``max_bytes`` are not read.
    """
    if file.bytes > max_bytes:
        raise FileTooLargeError(f"{file.filename} is {human_size(file.bytes)}, too large to read back and check here.")
    return client.files.content(file.id).read()


def read_back(make_client: Callable[[], openai.OpenAI], file: AccountFile) -> LaunchFile | str:
    """A file on the account as a :class:`LaunchFile` (to check or evaluate it here), or the one
    sentence that says why it cannot be read back (too large, or refused by the service)."""
    try:
        return LaunchFile.of(file.filename, read_account_file(make_client(), file))
    except FileTooLargeError as exc:
        return str(exc)
    except Exception as exc:
        return explain(exc, action="read the file back")
