"""The files and uploads routes: multipart upload, list, retrieve, content, delete; uploads in parts.

A route takes the service, the key's namespace, the request and the virtual time ``v`` (plus the ids
in its path) and returns a :class:`~lib.simulator.protocol.Response`; the service holds its lock.
Every byte stored counts against the key's quota (:meth:`lib.simulator.api.Service.make_room`).
"""

from __future__ import annotations

import hashlib

from lib.catalog import load_catalog
from lib.simulator.dialect import new_file_id
from lib.simulator.protocol import Response, missing_parameter, not_found, page
from lib.simulator.state import MIB, ApiError, Namespace, StoredFile, Upload, new_id

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
UPLOAD_LIFETIME_SECONDS = 3600  # "The Upload ... expires after an hour"
FILE_EXPIRY_SECONDS = (3600, 2592000)  # expires_after.seconds bounds (SDK file_create_params)


def _require_jsonl(purpose: str, filename: str, param: str) -> None:
    """The Fine-Tuning API takes only ``.jsonl`` files."""
    if purpose == "fine-tune" and not filename.lower().endswith(".jsonl"):
        raise ApiError(
            400, "Invalid file format for Fine-Tuning API. Must be .jsonl", param=param, code="invalid_file_format"
        )


# -- files -----------------------------------------------------------------------------------------
def store_file(
    service,
    ns: Namespace,
    filename: str,
    purpose: str,
    data: bytes,
    expires_at: int | None = None,
    flavor: str = "openai",
) -> StoredFile:
    """Keep ``data`` as a new file of ``ns`` (within the service's and the demo's limits)."""
    limits = load_catalog().limits
    _require_jsonl(purpose, filename, "file")
    if len(data) > limits["max_file_bytes"]:
        raise ApiError(
            400,
            f"File is too large: {len(data)} bytes; the Files API takes up to "
            f"{limits['max_file_bytes'] // MIB} MB (use the Uploads API for more).",
            param="file",
            code="file_too_large",
        )
    if len(ns.files) >= service.limits.max_files_per_namespace:
        raise ApiError(
            400,
            f"File limit of this demo reached: a key may keep "
            f"{service.limits.max_files_per_namespace} files. Delete some and try again.",
            param="file",
            code="storage_limit_exceeded",
        )
    service.make_room(ns, len(data))
    stored = StoredFile(new_file_id(flavor), filename, purpose, data, int(service.wall()), expires_at)
    ns.files[stored.id] = stored
    return stored


def _expires_at(service, form: dict) -> int | None:
    """When a file sent with ``expires_after[seconds]`` expires (Unix seconds); None: never."""
    seconds = form.get("expires_after[seconds]")
    if seconds is None:
        return None
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
    return int(service.wall()) + seconds


def create_file(service, ns, request, v):
    form = request.form
    if form is None:
        raise ApiError(400, "Expected a multipart/form-data body with 'file' and 'purpose'.", param="file")
    upload = form.get("file")
    purpose = form.get("purpose")
    if not isinstance(upload, tuple):
        raise missing_parameter("file")
    if not isinstance(purpose, str) or not purpose:
        raise missing_parameter("purpose")
    if purpose not in FILE_PURPOSES:
        raise ApiError(
            400,
            f"'{purpose}' is not one of {', '.join(FILE_PURPOSES)} - 'purpose'",
            param="purpose",
            code="invalid_value",
        )
    expires_at = _expires_at(service, form)
    filename, data = upload
    stored = store_file(service, ns, filename or "upload.jsonl", purpose, data, expires_at, request.flavor)
    return Response(200, stored.to_dict())


def _file(service, ns: Namespace, file_id: str) -> StoredFile:
    stored = ns.files.get(file_id)
    if stored is None or (stored.expires_at is not None and service.wall() >= stored.expires_at):
        raise not_found("File", file_id)
    return stored


def list_files(service, ns, request, v):
    order = request.query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise ApiError(400, "Invalid 'order': expected 'asc' or 'desc'.", param="order", code="invalid_value")
    purpose = request.query.get("purpose")
    now = service.wall()
    files = [
        f
        for f in ns.files.values()
        if (not purpose or f.purpose == purpose) and (f.expires_at is None or now < f.expires_at)
    ]
    if order == "desc":
        files.reverse()  # insertion order is creation order
    return Response(
        200, page([f.to_dict() for f in files], request.query, default_limit=10000, max_limit=10000, with_ids=True)
    )


def retrieve_file(service, ns, request, v, file_id):
    return Response(200, _file(service, ns, file_id).to_dict())


def delete_file(service, ns, request, v, file_id):
    _file(service, ns, file_id)
    del ns.files[file_id]
    return Response(200, {"id": file_id, "object": "file", "deleted": True})


def file_content(service, ns, request, v, file_id):
    return Response(200, _file(service, ns, file_id).data, "application/octet-stream")


# -- uploads ---------------------------------------------------------------------------------------
def _upload(service, ns: Namespace, upload_id: str, action: str) -> Upload:
    """The key's pending upload ``upload_id``, about to ``action``; 404 or 400 otherwise."""
    upload = ns.uploads.get(upload_id)
    if upload is None:
        raise not_found("Upload", upload_id)
    upload.refresh(service.wall())
    if upload.status != "pending":
        raise ApiError(
            400,
            f"Cannot {action} upload {upload.id}: it is {upload.status}.",
            param="upload_id",
            code="invalid_state",
        )
    return upload


def _check_upload_request(body: dict) -> None:
    limits = load_catalog().limits
    for name in ("bytes", "filename", "mime_type", "purpose"):
        if body.get(name) in (None, ""):
            raise missing_parameter(name)
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
    _require_jsonl(body["purpose"], str(body["filename"]), "filename")


def _make_upload_room(service, ns: Namespace) -> None:
    """At the upload cap, finished uploads make room; too many pending ones refuse a new one."""
    pending = [u for u in ns.uploads.values() if u.status == "pending"]
    if len(ns.uploads) >= service.limits.max_uploads_per_namespace:
        for old in [u for u in ns.uploads.values() if u.status != "pending"]:
            del ns.uploads[old.id]
        if len(pending) >= service.limits.max_uploads_per_namespace:
            raise ApiError(
                400,
                "Too many pending uploads for this demo key; complete or cancel some first.",
                code="storage_limit_exceeded",
            )


def create_upload(service, ns, request, v):
    body = request.json or {}
    _check_upload_request(body)
    size = body["bytes"]
    service.check_quota(ns, size)  # the declared size must fit before any part arrives
    _make_upload_room(service, ns)
    now = int(service.wall())
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


def add_upload_part(service, ns, request, v, upload_id):
    upload = _upload(service, ns, upload_id, "add a part to")
    data = (request.form or {}).get("data")
    if not isinstance(data, tuple):
        raise missing_parameter("data")
    chunk = data[1]
    part_limit = load_catalog().limits["upload_part_bytes"]
    if len(chunk) > part_limit:
        raise ApiError(400, f"A part can hold at most {part_limit} bytes.", param="data", code="invalid_value")
    service.make_room(ns, len(chunk))
    part_id = new_id("part_")
    upload.parts[part_id] = chunk
    return Response(
        200, {"id": part_id, "object": "upload.part", "created_at": int(service.wall()), "upload_id": upload.id}
    )


def _assembled(upload: Upload, body: dict) -> bytes:
    """The bytes of the parts ``body`` names, in its order, checked against the declared size and md5."""
    part_ids = body.get("part_ids")
    if not isinstance(part_ids, list):
        raise missing_parameter("part_ids")
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
        raise ApiError(400, "The md5 checksum does not match the uploaded bytes.", param="md5", code="invalid_value")
    return data


def complete_upload(service, ns, request, v, upload_id):
    upload = _upload(service, ns, upload_id, "complete")
    data = _assembled(upload, request.json or {})
    upload.parts.clear()  # the bytes move into the file
    try:
        upload.file = store_file(service, ns, upload.filename, upload.purpose, data, flavor=request.flavor)
    except ApiError:
        upload.status = "cancelled"
        raise
    upload.status = "completed"
    return Response(200, upload.to_dict())


def cancel_upload(service, ns, request, v, upload_id):
    upload = _upload(service, ns, upload_id, "cancel")
    upload.status = "cancelled"
    upload.parts.clear()
    return Response(200, upload.to_dict())
