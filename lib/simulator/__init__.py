"""A local simulator of the OpenAI fine-tuning HTTP API (the demo backend and the test backend).

The real ``openai`` SDK talks to it over real HTTP, as ``OpenAI`` (base URL
``.../v1``) or ``AzureOpenAI`` (endpoint ``http://HOST:PORT``, paths
``/openai/...`` and ``/openai/v1/...``). Standard library only.

Endpoints: models (list, retrieve, delete a fine-tune), files (multipart
upload, list, retrieve, content, delete), uploads (create, parts, complete,
cancel), fine_tuning/jobs (create, list, retrieve, cancel, pause, resume,
events, checkpoints). Job creation runs :func:`lib.jobspec.validate_create_params`
(400 with ``param`` on failure) and checks the file contents with
``lib.validate``; an invalid file makes the job fail at the end of
``validating_files``. From ``load_catalog().no_new_jobs_from`` on, creation
is refused with 403 ``fine_tuning_closed``. An ``Idempotency-Key`` header
makes a repeated create return the same job.

Requests through Azure OpenAI's paths (``/openai/v1/...`` for the v1 API and
the plain client, ``/openai/...?api-version=`` for ``AzureOpenAI``) get Azure's
dialect: ids ``file-<32 hex>``, ``ftjob-<32 hex>``, ``<base>.ft-<32 hex>`` and
``ftchkpt-<32 hex>``; Azure's calendar (dates on the models API under
``deprecation``, training open until Azure's dates); ``trainingType``; a
suffix of at most 40 characters; Azure's result-CSV column names.

Jobs progress with the clock, not with threads: validating_files (10 s),
queued (15 s), running (90 s), finalising (5 s), then succeeded, at speed 1
(about two minutes); ``speed`` divides these times. The loss curve comes
from ``random.Random(seed)``. Paused jobs report status ``paused`` (as the
spec's example does; it is not in the SDK's enum) and, once resumed, spend
3 s in ``queued`` before running on from where they stopped.

The Python API (other test files use exactly this)::

    sim = Simulator(speed=50.0)               # also: today=date, known_keys={...}, limits=SimLimits(...)
    sim.start(host="127.0.0.1", port=0)       # serves in a daemon thread; returns sim
    sim.base_url                              # "http://127.0.0.1:PORT/v1"  (OpenAI base_url)
    sim.root_url                              # "http://127.0.0.1:PORT"     (AzureOpenAI azure_endpoint)
    sim.stop()                                # frees the port; start(port=same) resumes with the same state
    sim.speed = 100.0                         # settable at any time; progress never jumps
    sim.today = datetime.date(2027, 1, 6)     # model shutdowns and the job deadline follow it
    sim.add_fault(status=500, method="GET", path="/fine_tuning/jobs", times=1,
                  retry_after=None, code=None, message=None, latency=None, drop=False)
    sim.add_fault(preset="blocked_org" | "daily_limit" | "rate_limit" | "server_error" | "drop" | "slow")
    sim.clear_faults()
    sim.latency = 0.2                         # seconds added to every request
    sim.known_keys = {"sk-a", "sk-b"}         # None (default): any key works and is its own namespace
    sim.key_check = callable                  # key -> bool; with known_keys, a key passing either is served
    sim.request_log                           # [{time, method, path, query, body, key_id, idempotency_key, status}]
    sim.clear_log()

Faults fire on the next matching request (method, and a substring of the path
below the API root; a trailing ``$`` anchors it at the end), before
authentication. Presets: ``blocked_org`` 403 ``organization_not_eligible`` and
``daily_limit`` 429 ``daily_rate_limit_exceeded`` (the real message) on job
creation; ``rate_limit`` 429 with ``Retry-After: 1``; ``server_error`` 500;
``drop`` closes the connection without an answer; ``slow`` waits 5 s.

Isolation and memory: each API key is its own namespace; another key's ids
answer 404. The request log keeps ``key_id`` (12 hex digits of the key's
sha256), never the key. Limits (:class:`SimLimits`): 64 MB and 200 files
per key, 500 jobs per key (the oldest finished job makes room), 512 MB for
all keys together (least recently used keys are dropped first), keys idle
for 6 hours are dropped; beyond 2000 keys only a key idle for 30 minutes makes
room for a new one (a space in use is never dropped; the new key gets 503), the log keeps the last 5000
requests. Metrics
events are capped at about 1000 per job (every k-th step plus every epoch
end beyond that); ``total_steps`` stays exact.

:func:`ensure_demo_simulator` starts one simulator per process (speed 1) for
the app's demo mode. ``python -m lib.simulator --port 8765`` runs one alone.
"""

from lib.simulator.api import SimLimits
from lib.simulator.server import Simulator, ensure_demo_simulator

__all__ = ["Simulator", "SimLimits", "ensure_demo_simulator"]
