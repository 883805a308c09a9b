"""The simulated API itself: namespaces, routes and what each endpoint answers.

Transport-free: :meth:`Service.handle` takes a parsed request and returns a
status and a JSON body (or raw bytes); ``server.py`` does the HTTP. Every
method holds the service lock while it touches state, so concurrent requests
see consistent objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import unquote

from lib import jobspec
from lib.catalog import is_fine_tuned_name, load_catalog
from lib.simulator.filecheck import check_file, failure_message
from lib.simulator.state import (
    TERMINAL_STATUSES,
    ApiError,
    Job,
    Namespace,
    StoredFile,
    Upload,
    VirtualClock,
    key_id,
    new_hex,
    new_id,
    stable_hex,
    stable_id,
)

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
UPLOAD_LIFETIME_SECONDS = 3600  # "The Upload ... expires after an hour"
FILE_EXPIRY_SECONDS = (3600, 2592000)  # expires_after.seconds bounds (SDK file_create_params)
ORG_SLUG = "personal"  # the org part of ft: names of personal accounts
MIB = 1024 * 1024


@dataclass
class SimLimits:
    """Memory bounds for a public demo (each visitor's key is its own namespace).

    A namespace may hold ``max_namespace_bytes`` of files and upload parts and
    ``max_files_per_namespace`` files; idle namespaces are dropped after
    ``namespace_idle_seconds``; when all namespaces together exceed
    ``max_total_bytes`` the least recently used ones are dropped first.
    """

    max_namespace_bytes: int = 64 * MIB
    max_total_bytes: int = 512 * MIB
    max_files_per_namespace: int = 200
    max_uploads_per_namespace: int = 50
    max_jobs_per_namespace: int = 500
    max_namespaces: int = 2000
    namespace_idle_seconds: float = 6 * 3600
    namespace_min_idle_seconds: float = 30 * 60  # beyond max_namespaces, only a space idle this long makes room
    request_log_entries: int = 5000

    @property
    def max_request_bytes(self) -> int:
        # room for multipart framing around the largest file a namespace can hold
        return self.max_namespace_bytes + MIB


@dataclass
class Request:
    """A parsed HTTP request, as the routes see it."""

    method: str
    path: str  # relative to the API root, e.g. "fine_tuning/jobs/ftjob-x/events"
    query: dict = field(default_factory=dict)
    json: dict | None = None
    form: dict | None = None  # multipart: name -> str, or (filename, bytes) for files
    idempotency_key: str | None = None
    flavor: str = "openai"  # "azure" when the request came through Azure OpenAI's paths (/openai/...)


# ---------------------------------------------------------------- Azure OpenAI's dialect
# The same service answers Azure OpenAI's paths; a request that came through them gets Azure's ids
# (``file-<32 hex>``, ``ftjob-<32 hex>``, ``<base>.ft-<32 hex>``, ``ftchkpt-<hex>``), Azure's dates
# and rules (suffix of at most 40 characters, ``trainingType``) and Azure's result-CSV columns.
def calendar_of(request: Request) -> str:
    """The catalog calendar whose dates and rules apply to ``request``."""
    return "azure" if request.flavor == "azure" else "openai"


def new_file_id(flavor: str) -> str:
    return "file-" + new_hex(32) if flavor == "azure" else new_id("file-", 22)


def new_job_id(flavor: str) -> str:
    return "ftjob-" + new_hex(32) if flavor == "azure" else new_id("ftjob-")


def fine_tuned_name_for(flavor: str, base: str, suffix: str | None, job_id: str) -> str:
    """The model id a job of ``flavor`` produces."""
    if flavor == "azure":
        return jobspec.azure_fine_tuned_model_name(base, stable_hex("model", job_id))
    return jobspec.fine_tuned_model_name(base, ORG_SLUG, suffix, stable_id("", job_id, length=8))


def azure_model_object(info, created: int, name: str | None = None, owned_by: str = "system") -> dict:
    """A model as Azure's models API shows it: lifecycle dates under ``deprecation`` (Unix seconds)."""
    dates = info.lifecycle("azure")

    def stamp(day):
        return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()) if day else None

    fine_tuned = name is not None and name != info.id
    return {
        "id": name or info.id,
        "object": "model",
        "created": created,
        "owned_by": owned_by,
        "status": "succeeded",
        "lifecycle_status": "deprecated" if dates.training_until else "generally-available",
        "capabilities": {"fine_tune": info.fine_tunable and not fine_tuned, "inference": True},
        "deprecation": {"fine_tune": stamp(dates.training_until), "inference": stamp(dates.inference_until)},
    }


@dataclass
class Response:
    status: int
    body: dict | bytes
    content_type: str = "application/json"


def _not_found(kind: str, object_id: str, param: str = "id") -> ApiError:
    return ApiError(404, f"No such {kind}: {object_id}", param=param, code=None)


def _int_param(query: dict, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400, f"Invalid '{name}': expected an integer, got {raw!r}.", param=name, code="invalid_value"
        ) from None
    if value < low:
        raise ApiError(400, f"Invalid '{name}': must be at least {low}.", param=name, code="invalid_value")
    return value if high is None else min(value, high)


def _page(items: list[dict], query: dict, *, default_limit: int, max_limit: int | None, with_ids: bool = False) -> dict:
    """A cursor page: the items after ``after`` (an id), at most ``limit`` of them."""
    limit = _int_param(query, "limit", default_limit, 1, max_limit)
    after = query.get("after")
    if after:
        ids = [item["id"] for item in items]
        # An unknown cursor gives an empty page rather than an error, so iteration just ends.
        items = items[ids.index(after) + 1 :] if after in ids else []
    page = items[:limit]
    out = {"object": "list", "data": page, "has_more": len(items) > limit}
    if with_ids:
        out["first_id"] = page[0]["id"] if page else None
        out["last_id"] = page[-1]["id"] if page else None
    return out


def _model_created(model_id: str, fallback: dt.date) -> int:
    """Unix time of a model's release, read from the date in its dated name."""
    match = re.search(r"(\d{4})-(\d{2})-(\d{2})$", model_id)
    day = dt.date(*map(int, match.groups())) if match else fallback
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


class Service:
    """All namespaces of one simulator and the operations on them."""

    def __init__(
        self,
        clock: VirtualClock,
        today: Callable[[], dt.date],
        limits: SimLimits | None = None,
        wall: Callable[[], float] = time.time,
    ):
        self.clock = clock
        self.today = today
        self.limits = limits or SimLimits()
        self.wall = wall
        self.lock = threading.RLock()
        self.namespaces: OrderedDict[str, Namespace] = OrderedDict()
        self._last_sweep = 0.0

    # -- namespaces -------------------------------------------------------------------------------
    def namespace(self, api_key: str) -> Namespace:
        """The key's namespace, created on first use (least recently used ones are dropped)."""
        kid = key_id(api_key)
        now = self.wall()
        with self.lock:
            self._sweep(now)
            ns = self.namespaces.get(kid)
            if ns is None:
                org = "org-" + hashlib.sha256(("org|" + api_key).encode()).hexdigest()[:24]
                if len(self.namespaces) >= self.limits.max_namespaces:
                    # Only an idle space makes room: a space in use is never dropped for a new key.
                    oldest_kid, oldest = next(iter(self.namespaces.items()))
                    if now - oldest.last_used < self.limits.namespace_min_idle_seconds:
                        raise ApiError(
                            503,
                            "The demo is full right now; try again in a few minutes.",
                            type="server_error",
                            code="demo_full",
                        )
                    del self.namespaces[oldest_kid]
                ns = Namespace(key_id=kid, org_id=org, last_used=now)
                self.namespaces[kid] = ns
            ns.last_used = now
            self.namespaces.move_to_end(kid)
            return ns

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < 60:
            return
        self._last_sweep = now
        idle = [k for k, ns in self.namespaces.items() if now - ns.last_used > self.limits.namespace_idle_seconds]
        for kid in idle:
            del self.namespaces[kid]

    def _check_quota(self, ns: Namespace, extra: int) -> None:
        """Refuse ``extra`` bytes that would take the namespace over its cap."""
        if ns.stored_bytes + extra > self.limits.max_namespace_bytes:
            raise ApiError(
                400,
                f"Storage limit of this demo reached: a key may keep {self.limits.max_namespace_bytes // MIB} MB "
                "of files. Delete some files and try again.",
                param="file",
                code="storage_limit_exceeded",
            )

    def _make_room(self, ns: Namespace, extra: int) -> None:
        """Check the namespace cap; beyond the total cap, drop the least recently used other namespaces
        that are idle (``namespace_min_idle_seconds``); a space in use is never dropped: refuse instead."""
        self._check_quota(ns, extra)
        total = sum(other.stored_bytes for other in self.namespaces.values()) + extra
        now = self.wall()
        for kid in list(self.namespaces):
            if total <= self.limits.max_total_bytes:
                break
            other = self.namespaces[kid]
            if kid != ns.key_id and now - other.last_used >= self.limits.namespace_min_idle_seconds:
                total -= self.namespaces.pop(kid).stored_bytes
        if total > self.limits.max_total_bytes:
            raise ApiError(
                503,
                "The demo's storage is full right now; try again in a few minutes.",
                type="server_error",
                code="demo_full",
            )

    def settle(self, ns: Namespace, v: float) -> None:
        """Materialise what finished jobs leave behind: result files and fine-tuned models."""
        for job in ns.jobs.values():
            if job.result_file_id is None and job.status(v) == "succeeded":
                finished = int(self.clock.wall_time_of(job.finished_v(v)))
                result = StoredFile(
                    new_file_id(job.flavor), "step_metrics.csv", "fine-tune-results", job.results_file_bytes(), finished
                )
                ns.files[result.id] = result
                job.result_file_id = result.id
                ns.models[job.fine_tuned_model_name] = (finished, job)

    # -- dispatch ---------------------------------------------------------------------------------
    def handle(self, ns: Namespace, request: Request) -> Response:
        """Answer one request of namespace ``ns``; raises :class:`ApiError` for error answers."""
        segments = [unquote(s) for s in request.path.strip("/").split("/")] if request.path.strip("/") else []
        method = request.method
        if segments[:2] == ["fine_tuning", "jobs"] and method == "POST" and len(segments) == 2:
            return self.create_job(ns, request)  # manages the lock itself (validation runs outside it)
        if method == "POST" and segments[-2:] == ["chat", "completions"]:
            from lib.simulator.chat import create_completion  # imported here: it builds on lib.evaluate

            return create_completion(self, ns, request, segments)  # counts tokens outside the lock
        with self.lock:
            v = self.clock.now()
            self.settle(ns, v)
            route = self._route(method, segments)
            if route is None:
                raise ApiError(404, f"Invalid URL ({method} /{request.path.strip('/')})")
            handler, args = route
            return handler(ns, request, v, *args)

    def _route(self, method: str, s: list[str]):
        n = len(s)
        table = {
            ("GET", ("models",)): self.list_models,
            ("GET", ("models", "*")): self.retrieve_model,
            ("DELETE", ("models", "*")): self.delete_model,
            ("POST", ("files",)): self.create_file,
            ("GET", ("files",)): self.list_files,
            ("GET", ("files", "*")): self.retrieve_file,
            ("DELETE", ("files", "*")): self.delete_file,
            ("GET", ("files", "*", "content")): self.file_content,
            ("POST", ("uploads",)): self.create_upload,
            ("POST", ("uploads", "*", "parts")): self.add_upload_part,
            ("POST", ("uploads", "*", "complete")): self.complete_upload,
            ("POST", ("uploads", "*", "cancel")): self.cancel_upload,
            ("GET", ("fine_tuning", "jobs")): self.list_jobs,
            ("GET", ("fine_tuning", "jobs", "*")): self.retrieve_job,
            ("POST", ("fine_tuning", "jobs", "*", "cancel")): self.cancel_job,
            ("POST", ("fine_tuning", "jobs", "*", "pause")): self.pause_job,
            ("POST", ("fine_tuning", "jobs", "*", "resume")): self.resume_job,
            ("GET", ("fine_tuning", "jobs", "*", "events")): self.list_events,
            ("GET", ("fine_tuning", "jobs", "*", "checkpoints")): self.list_checkpoints,
        }
        for (want_method, pattern), handler in table.items():
            if want_method != method or len(pattern) != n:
                continue
            args = []
            for want, got in zip(pattern, s):
                if want == "*":
                    if not got:
                        break
                    args.append(got)
                elif want != got:
                    break
            else:
                return handler, args
        return None

    # -- models -----------------------------------------------------------------------------------
    def _model_objects(self, ns: Namespace, flavor: str = "openai") -> list[dict]:
        if flavor == "azure":
            return self._azure_model_objects(ns)
        catalog = load_catalog()
        today = self.today()
        fallback = dt.date.fromisoformat(catalog.as_of)
        out = []
        for info in catalog.models.values():
            if info.is_retired(today):
                continue
            shutdown = info.shutdown_date.isoformat() if info.shutdown_date else None
            for name in (info.id, *info.aliases):
                out.append(
                    {
                        "id": name,
                        "object": "model",
                        "created": _model_created(info.id, fallback),
                        "owned_by": "system",
                        "shutdown_date": shutdown,
                    }
                )
        for name, (created, job) in ns.models.items():
            info = catalog.models[job.base_model]
            if info.is_retired(today):
                continue
            out.append(
                {
                    "id": name,
                    "object": "model",
                    "created": created,
                    "owned_by": ns.org_id,
                    "shutdown_date": info.shutdown_date.isoformat() if info.shutdown_date else None,
                }
            )
        return out

    def _azure_model_objects(self, ns: Namespace) -> list[dict]:
        """Models on Azure's calendar: those Azure lists and still serves, with their Azure dates."""
        catalog = load_catalog()
        today = self.today()
        fallback = dt.date.fromisoformat(catalog.as_of)
        out = []
        for info in catalog.models.values():
            dates = info.lifecycle("azure")
            if dates.listed and not dates.is_retired(today):
                out.append(azure_model_object(info, _model_created(info.id, fallback)))
        for name, (created, job) in ns.models.items():
            info = catalog.models[job.base_model]
            if job.flavor == "azure" and not info.lifecycle("azure").is_retired(today):
                out.append(azure_model_object(info, created, name, ns.org_id))
        return out

    def list_models(self, ns, request, v):
        return Response(200, {"object": "list", "data": self._model_objects(ns, request.flavor)})

    def retrieve_model(self, ns, request, v, model_id):
        for model in self._model_objects(ns, request.flavor):
            if model["id"] == model_id:
                return Response(200, model)
        raise ApiError(
            404,
            f"The model `{model_id}` does not exist or you do not have access to it.",
            param=None,
            code="model_not_found",
        )

    def delete_model(self, ns, request, v, model_id):
        if model_id not in ns.models:
            raise ApiError(
                404, f"The model `{model_id}` does not exist or you do not have access to it.", code="model_not_found"
            )
        del ns.models[model_id]
        return Response(200, {"id": model_id, "object": "model", "deleted": True})

    # -- files ------------------------------------------------------------------------------------
    def _store_file(
        self,
        ns: Namespace,
        filename: str,
        purpose: str,
        data: bytes,
        expires_at: int | None = None,
        flavor: str = "openai",
    ) -> StoredFile:
        limits = load_catalog().limits
        if purpose == "fine-tune" and not filename.lower().endswith(".jsonl"):
            raise ApiError(
                400, "Invalid file format for Fine-Tuning API. Must be .jsonl", param="file", code="invalid_file_format"
            )
        if len(data) > limits["max_file_bytes"]:
            raise ApiError(
                400,
                f"File is too large: {len(data)} bytes; the Files API takes up to "
                f"{limits['max_file_bytes'] // MIB} MB (use the Uploads API for more).",
                param="file",
                code="file_too_large",
            )
        if sum(1 for f in ns.files.values()) >= self.limits.max_files_per_namespace:
            raise ApiError(
                400,
                f"File limit of this demo reached: a key may keep "
                f"{self.limits.max_files_per_namespace} files. Delete some and try again.",
                param="file",
                code="storage_limit_exceeded",
            )
        self._make_room(ns, len(data))
        stored = StoredFile(new_file_id(flavor), filename, purpose, data, int(self.wall()), expires_at)
        ns.files[stored.id] = stored
        return stored

    def create_file(self, ns, request, v):
        form = request.form
        if form is None:
            raise ApiError(400, "Expected a multipart/form-data body with 'file' and 'purpose'.", param="file")
        upload = form.get("file")
        purpose = form.get("purpose")
        if not isinstance(upload, tuple):
            raise ApiError(400, "Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
        if not isinstance(purpose, str) or not purpose:
            raise ApiError(
                400, "Missing required parameter: 'purpose'.", param="purpose", code="missing_required_parameter"
            )
        if purpose not in FILE_PURPOSES:
            raise ApiError(
                400,
                f"'{purpose}' is not one of {', '.join(FILE_PURPOSES)} - 'purpose'",
                param="purpose",
                code="invalid_value",
            )
        expires_at = None
        seconds = form.get("expires_after[seconds]")
        if seconds is not None:
            low, high = FILE_EXPIRY_SECONDS
            try:
                seconds = int(seconds)
            except (TypeError, ValueError):
                seconds = -1
            if not low <= seconds <= high:
                raise ApiError(
                    400,
                    f"expires_after.seconds must be between {low} and {high}.",
                    param="expires_after.seconds",
                    code="invalid_value",
                )
            expires_at = int(self.wall()) + seconds
        filename, data = upload
        return Response(
            200, self._store_file(ns, filename or "upload.jsonl", purpose, data, expires_at, request.flavor).to_dict()
        )

    def _file(self, ns: Namespace, file_id: str) -> StoredFile:
        stored = ns.files.get(file_id)
        if stored is None or (stored.expires_at is not None and self.wall() >= stored.expires_at):
            raise _not_found("File", file_id)
        return stored

    def list_files(self, ns, request, v):
        order = request.query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise ApiError(400, "Invalid 'order': expected 'asc' or 'desc'.", param="order", code="invalid_value")
        purpose = request.query.get("purpose")
        now = self.wall()
        files = [
            f
            for f in ns.files.values()
            if (not purpose or f.purpose == purpose) and (f.expires_at is None or now < f.expires_at)
        ]
        if order == "desc":
            files.reverse()  # insertion order is creation order
        return Response(
            200, _page([f.to_dict() for f in files], request.query, default_limit=10000, max_limit=10000, with_ids=True)
        )

    def retrieve_file(self, ns, request, v, file_id):
        return Response(200, self._file(ns, file_id).to_dict())

    def delete_file(self, ns, request, v, file_id):
        self._file(ns, file_id)
        del ns.files[file_id]
        return Response(200, {"id": file_id, "object": "file", "deleted": True})

    def file_content(self, ns, request, v, file_id):
        return Response(200, self._file(ns, file_id).data, "application/octet-stream")

    # -- uploads ----------------------------------------------------------------------------------
    def _upload(self, ns: Namespace, upload_id: str) -> Upload:
        upload = ns.uploads.get(upload_id)
        if upload is None:
            raise _not_found("Upload", upload_id)
        upload.refresh(self.wall())
        return upload

    def create_upload(self, ns, request, v):
        body = request.json or {}
        limits = load_catalog().limits
        for name in ("bytes", "filename", "mime_type", "purpose"):
            if body.get(name) in (None, ""):
                raise ApiError(
                    400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
                )
        size = body["bytes"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ApiError(400, "'bytes' must be a non-negative integer.", param="bytes", code="invalid_value")
        if size > limits["max_upload_bytes"]:
            raise ApiError(
                400,
                f"An Upload can hold at most {limits['max_upload_bytes']} bytes.",
                param="bytes",
                code="invalid_value",
            )
        if body["purpose"] not in FILE_PURPOSES:
            raise ApiError(400, f"'{body['purpose']}' is not a valid purpose.", param="purpose", code="invalid_value")
        if body["purpose"] == "fine-tune" and not str(body["filename"]).lower().endswith(".jsonl"):
            raise ApiError(
                400,
                "Invalid file format for Fine-Tuning API. Must be .jsonl",
                param="filename",
                code="invalid_file_format",
            )
        self._check_quota(ns, size)  # the declared size must fit before any part arrives
        pending = [u for u in ns.uploads.values() if u.status == "pending"]
        if len(ns.uploads) >= self.limits.max_uploads_per_namespace:
            for old in [u for u in ns.uploads.values() if u.status != "pending"]:
                del ns.uploads[old.id]
            if len(pending) >= self.limits.max_uploads_per_namespace:
                raise ApiError(
                    400,
                    "Too many pending uploads for this demo key; complete or cancel some first.",
                    code="storage_limit_exceeded",
                )
        now = int(self.wall())
        upload = Upload(
            new_id("upload_"),
            str(body["filename"]),
            body["purpose"],
            size,
            str(body["mime_type"]),
            now,
            now + UPLOAD_LIFETIME_SECONDS,
        )
        ns.uploads[upload.id] = upload
        return Response(200, upload.to_dict())

    def _pending(self, upload: Upload, action: str) -> None:
        if upload.status != "pending":
            raise ApiError(
                400,
                f"Cannot {action} upload {upload.id}: it is {upload.status}.",
                param="upload_id",
                code="invalid_state",
            )

    def add_upload_part(self, ns, request, v, upload_id):
        upload = self._upload(ns, upload_id)
        self._pending(upload, "add a part to")
        data = (request.form or {}).get("data")
        if not isinstance(data, tuple):
            raise ApiError(400, "Missing required parameter: 'data'.", param="data", code="missing_required_parameter")
        chunk = data[1]
        part_limit = load_catalog().limits["upload_part_bytes"]
        if len(chunk) > part_limit:
            raise ApiError(400, f"A part can hold at most {part_limit} bytes.", param="data", code="invalid_value")
        self._make_room(ns, len(chunk))
        part_id = new_id("part_")
        upload.parts[part_id] = chunk
        return Response(
            200, {"id": part_id, "object": "upload.part", "created_at": int(self.wall()), "upload_id": upload.id}
        )

    def complete_upload(self, ns, request, v, upload_id):
        upload = self._upload(ns, upload_id)
        self._pending(upload, "complete")
        body = request.json or {}
        part_ids = body.get("part_ids")
        if not isinstance(part_ids, list):
            raise ApiError(
                400, "Missing required parameter: 'part_ids'.", param="part_ids", code="missing_required_parameter"
            )
        unknown = [p for p in part_ids if p not in upload.parts]
        if unknown:
            raise ApiError(
                400, f"Unknown part id {unknown[0]!r} for upload {upload.id}.", param="part_ids", code="invalid_value"
            )
        data = b"".join(upload.parts[p] for p in part_ids)
        if len(data) != upload.declared_bytes:
            raise ApiError(
                400,
                f"The uploaded parts hold {len(data)} bytes but the upload declared {upload.declared_bytes} bytes.",
                param="part_ids",
                code="invalid_value",
            )
        md5 = body.get("md5")
        if md5 and hashlib.md5(data).hexdigest() != str(md5).lower():
            raise ApiError(
                400, "The md5 checksum does not match the uploaded bytes.", param="md5", code="invalid_value"
            )
        upload.parts.clear()  # the bytes move into the file
        try:
            upload.file = self._store_file(ns, upload.filename, upload.purpose, data, flavor=request.flavor)
        except ApiError:
            upload.status = "cancelled"
            raise
        upload.status = "completed"
        return Response(200, upload.to_dict())

    def cancel_upload(self, ns, request, v, upload_id):
        upload = self._upload(ns, upload_id)
        self._pending(upload, "cancel")
        upload.status = "cancelled"
        upload.parts.clear()
        return Response(200, upload.to_dict())

    # -- jobs -------------------------------------------------------------------------------------
    def _job(self, ns: Namespace, job_id: str) -> Job:
        job = ns.jobs.get(job_id)
        if job is None:
            raise ApiError(
                404,
                f"Could not find fine-tuning job {job_id}.",
                param="fine_tuning_job_id",
                code="fine_tuning_job_not_found",
            )
        return job

    def _owned_model(self, ns: Namespace, name: str, v: float) -> bool:
        if name in ns.models:
            return True
        return any(
            ckpt["fine_tuned_model_checkpoint"] == name
            for job in ns.jobs.values()
            for ckpt in job.checkpoints(v, self.clock)
        )

    def _training_input(self, ns: Namespace, file_id: str | None, param: str) -> StoredFile | None:
        if file_id is None:
            return None
        stored = ns.files.get(file_id)
        if stored is None:
            raise ApiError(
                400, f"invalid {param}: {file_id} (no such file for this key).", param=param, code="file_not_found"
            )
        if stored.purpose != "fine-tune":
            raise ApiError(
                400,
                f"invalid {param}: {file_id} has purpose '{stored.purpose}'; upload it with purpose 'fine-tune'.",
                param=param,
                code="invalid_file_purpose",
            )
        return stored

    def create_job(self, ns: Namespace, request: Request) -> Response:
        """``POST /fine_tuning/jobs``: the service's checks, then a job that runs by the clock."""
        body = request.json
        idem = request.idempotency_key
        with self.lock:
            v = self.clock.now()
            self.settle(ns, v)
            if idem and idem in ns.idempotency and ns.idempotency[idem] in ns.jobs:
                return Response(200, ns.jobs[ns.idempotency[idem]].to_dict(v, self.clock))
            calendar = calendar_of(request)
            refusal = jobspec.job_creation_refusal(self.today(), calendar)
            if refusal:
                raise ApiError(jobspec.CREATION_CLOSED_STATUS, refusal, code=jobspec.CREATION_CLOSED_CODE)
            if body is None:
                raise ApiError(
                    400,
                    "We could not parse the JSON body of your request. The API expects a JSON object.",
                    code="invalid_json",
                )
            errors = jobspec.validate_create_params(body, today=self.today(), calendar=calendar)
            if errors:
                raise ApiError(400, errors[0].message, param=errors[0].param, code=errors[0].code)
            model = body["model"]
            if is_fine_tuned_name(model) and not self._owned_model(ns, model, v):
                raise ApiError(
                    400,
                    f"Model {model} is not available for fine-tuning or does not exist.",
                    param="model",
                    code="model_not_available",
                )
            training = self._training_input(ns, body["training_file"], "training_file")
            validation = self._training_input(ns, body.get("validation_file"), "validation_file")
        spec = jobspec.method_of(body)
        base = jobspec.base_model_of(body)
        # Reading a large file takes a while: do it outside the lock (file bytes never change).
        checks = []
        for stored, which in ((training, "training"), (validation, "validation")):
            if stored is None:
                continue
            cache_key = (base, spec.type, which)
            if cache_key not in stored.checks:
                stored.checks[cache_key] = check_file(
                    stored.data, model=model, method_type=spec.type, is_validation_file=which == "validation"
                )
            checks.append((stored.checks[cache_key], which))
        failure = None
        for check, which in checks:
            if not check.ok:
                failure = {
                    "code": f"invalid_{which}_file",
                    "message": failure_message(check, which),
                    "param": f"{which}_file",
                }
                break
        training_check = checks[0][0]
        with self.lock:
            v = self.clock.now()
            if idem and idem in ns.idempotency and ns.idempotency[idem] in ns.jobs:
                return Response(200, ns.jobs[ns.idempotency[idem]].to_dict(v, self.clock))
            self._make_job_room(ns, v)
            job_id = new_job_id(request.flavor)
            requested = {
                key: spec.hyperparameters.get(key, "auto") for key in jobspec.resolve_hyperparameters({}, 1, spec.type)
            }
            resolved = jobspec.resolve_hyperparameters(spec.hyperparameters, training_check.examples, spec.type)
            seed = body.get("seed")
            if seed is None:
                seed = secrets.randbelow(load_catalog().limits["seed"][1] + 1)
            job = Job(
                id=job_id,
                org_id=ns.org_id,
                model=model if is_fine_tuned_name(model) else base,
                base_model=base,
                training_file=training.id,
                validation_file=validation.id if validation else None,
                method_type=spec.type,
                requested_hyperparameters=requested,
                resolved_hyperparameters=resolved,
                suffix=body.get("suffix"),
                seed=seed,
                metadata=body.get("metadata"),
                integrations=body.get("integrations"),
                created_v=v,
                created_at=int(self.wall()),
                examples=training_check.examples,
                billed_tokens_per_epoch=training_check.billed_tokens_per_epoch,
                fine_tuned_model_name=fine_tuned_name_for(request.flavor, base, body.get("suffix"), job_id),
                failure=failure,
                flavor=request.flavor,
                training_type=body.get(jobspec.AZURE_TRAINING_TYPE_KEY),
            )
            ns.jobs[job_id] = job
            if idem:
                ns.idempotency[idem] = job_id
            return Response(200, job.to_dict(v, self.clock))

    def _make_job_room(self, ns: Namespace, v: float) -> None:
        if len(ns.jobs) < self.limits.max_jobs_per_namespace:
            return
        for job in list(ns.jobs.values()):  # oldest first
            if job.status(v) in TERMINAL_STATUSES:
                del ns.jobs[job.id]
                return
        raise ApiError(
            400,
            f"Job limit of this demo reached: a key may keep {self.limits.max_jobs_per_namespace} "
            "jobs. Cancel some and try again.",
            code="job_limit_exceeded",
        )

    def list_jobs(self, ns, request, v):
        wanted = {
            k[len("metadata[") : -1]: value
            for k, value in request.query.items()
            if k.startswith("metadata[") and k.endswith("]")
        }
        without_metadata = request.query.get("metadata") == "null"
        jobs = []
        for job in reversed(list(ns.jobs.values())):  # newest first
            if without_metadata and job.metadata:
                continue
            if any((job.metadata or {}).get(k) != value for k, value in wanted.items()):
                continue
            jobs.append(job.to_dict(v, self.clock))
        return Response(200, _page(jobs, request.query, default_limit=20, max_limit=100))

    def retrieve_job(self, ns, request, v, job_id):
        return Response(200, self._job(ns, job_id).to_dict(v, self.clock))

    def cancel_job(self, ns, request, v, job_id):
        job = self._job(ns, job_id)
        status = job.status(v)
        if status in TERMINAL_STATUSES:
            raise ApiError(
                400,
                f"Job {job_id} has already {'been ' if status == 'cancelled' else ''}{status}; "
                "only running or queued jobs can be cancelled.",
                param="fine_tuning_job_id",
                code="invalid_job_state",
            )
        job.cancel(v)
        return Response(200, job.to_dict(v, self.clock))

    def pause_job(self, ns, request, v, job_id):
        job = self._job(ns, job_id)
        status = job.status(v)
        if status != "running":
            raise ApiError(
                400,
                f"Job {job_id} is {status}; only a running job can be paused.",
                param="fine_tuning_job_id",
                code="invalid_job_state",
            )
        job.pause(v)
        return Response(200, job.to_dict(v, self.clock))

    def resume_job(self, ns, request, v, job_id):
        job = self._job(ns, job_id)
        status = job.status(v)
        if status != "paused":
            raise ApiError(
                400,
                f"Job {job_id} is {status}; only a paused job can be resumed.",
                param="fine_tuning_job_id",
                code="invalid_job_state",
            )
        job.resume(v)
        return Response(200, job.to_dict(v, self.clock))

    def list_events(self, ns, request, v, job_id):
        events = self._job(ns, job_id).events(v, self.clock)
        return Response(200, _page(events, request.query, default_limit=20, max_limit=100))

    def list_checkpoints(self, ns, request, v, job_id):
        checkpoints = self._job(ns, job_id).checkpoints(v, self.clock)
        return Response(200, _page(checkpoints, request.query, default_limit=10, max_limit=100, with_ids=True))
