"""The simulated API's service: the key namespaces, their limits, and which route answers a request.

Transport-free: :meth:`Service.handle` takes a parsed request and returns a
status and a JSON body (or raw bytes); ``server.py`` does the HTTP. The routes
live by resource: :mod:`~lib.simulator.model_routes`, :mod:`~lib.simulator.file_routes`
(files and uploads), :mod:`~lib.simulator.job_routes` and :mod:`~lib.simulator.chat`.
Every route runs with the service lock held while it touches state, so concurrent
requests see consistent objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable
from urllib.parse import unquote

from lib.simulator import file_routes, job_routes, model_routes
from lib.simulator.dialect import new_file_id
from lib.simulator.protocol import Request, Response
from lib.simulator.state import MIB, ApiError, Namespace, StoredFile, VirtualClock, key_id

__all__ = ["Request", "Response", "Service", "SimLimits"]


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


# (method, path pattern) -> route; "*" matches one non-empty path segment, passed to the route.
ROUTES = {
    ("GET", ("models",)): model_routes.list_models,
    ("GET", ("models", "*")): model_routes.retrieve_model,
    ("DELETE", ("models", "*")): model_routes.delete_model,
    ("POST", ("files",)): file_routes.create_file,
    ("GET", ("files",)): file_routes.list_files,
    ("GET", ("files", "*")): file_routes.retrieve_file,
    ("DELETE", ("files", "*")): file_routes.delete_file,
    ("GET", ("files", "*", "content")): file_routes.file_content,
    ("POST", ("uploads",)): file_routes.create_upload,
    ("POST", ("uploads", "*", "parts")): file_routes.add_upload_part,
    ("POST", ("uploads", "*", "complete")): file_routes.complete_upload,
    ("POST", ("uploads", "*", "cancel")): file_routes.cancel_upload,
    ("GET", ("fine_tuning", "jobs")): job_routes.list_jobs,
    ("GET", ("fine_tuning", "jobs", "*")): job_routes.retrieve_job,
    ("POST", ("fine_tuning", "jobs", "*", "cancel")): job_routes.cancel_job,
    ("POST", ("fine_tuning", "jobs", "*", "pause")): job_routes.pause_job,
    ("POST", ("fine_tuning", "jobs", "*", "resume")): job_routes.resume_job,
    ("GET", ("fine_tuning", "jobs", "*", "events")): job_routes.list_events,
    ("GET", ("fine_tuning", "jobs", "*", "checkpoints")): job_routes.list_checkpoints,
}


def route_of(method: str, segments: list[str]):
    """The route for ``method`` on the path ``segments`` and the ids its ``*`` matched; None if none."""
    for (want_method, pattern), route in ROUTES.items():
        if want_method != method or len(pattern) != len(segments):
            continue
        args = []
        for want, got in zip(pattern, segments):
            if want == "*":
                if not got:
                    break
                args.append(got)
            elif want != got:
                break
        else:
            return route, args
    return None


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

    def check_quota(self, ns: Namespace, extra: int) -> None:
        """Refuse ``extra`` bytes that would take the namespace over its cap."""
        if ns.stored_bytes + extra > self.limits.max_namespace_bytes:
            raise ApiError(
                400,
                f"Storage limit of this demo reached: a key may keep {self.limits.max_namespace_bytes // MIB} MB "
                "of files. Delete some files and try again.",
                param="file",
                code="storage_limit_exceeded",
            )

    def make_room(self, ns: Namespace, extra: int) -> None:
        """Check the namespace cap; beyond the total cap, drop the least recently used other namespaces
        that are idle (``namespace_min_idle_seconds``); a space in use is never dropped: refuse instead."""
        self.check_quota(ns, extra)
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
            return job_routes.create_job(self, ns, request)  # manages the lock itself (validation runs outside it)
        if method == "POST" and segments[-2:] == ["chat", "completions"]:
            from lib.simulator.chat import create_completion  # imported here: it builds on lib.evaluate

            return create_completion(self, ns, request, segments)  # counts tokens outside the lock
        with self.lock:
            v = self.clock.now()
            self.settle(ns, v)
            found = route_of(method, segments)
            if found is None:
                raise ApiError(404, f"Invalid URL ({method} /{request.path.strip('/')})")
            route, args = found
            return route(self, ns, request, v, *args)
