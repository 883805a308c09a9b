"""The demo simulator serves only keys the app minted; a flood of keys never drops a live space (issue 11).

Before: the in-app simulator accepted any key and kept at most 2,000 key spaces, dropping the
oldest, so 2,001 requests with throw-away keys deleted a visitor's demo job. Now demo keys are
signed with a per-process secret (``lib.connection.new_demo_key``/``is_demo_key``), forged ones
get 401 before any space is made, and beyond the space limit only an idle space makes room.
"""

from __future__ import annotations

import http.client
import json
import secrets

import openai

from lib.connection import new_demo_key
from lib.simulator import SimLimits, Simulator, ensure_demo_simulator
from tests.hardening import figures
from tests.factories import chat_jsonl

FLOOD = 2_001


def forged_keys(real: str, n: int) -> list[str]:
    space, signature = real[len("sk-demo-") :].split("-")
    shapes = [
        lambda i: f"sk-flood-{i}",
        lambda i: f"sk-demo-{secrets.token_hex(12)}-{secrets.token_hex(16)}",
        lambda i: f"sk-demo-{space}-{secrets.token_hex(16)}",
        lambda i: f"sk-demo-{secrets.token_hex(12)}-{signature}",
        lambda i: real + str(i),
    ]
    return [shapes[i % len(shapes)](i) for i in range(n)]


def statuses(port: int, keys: list[str]) -> list[int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    found = []
    for key in keys:
        conn.request("GET", "/v1/files", headers={"Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        response.read()
        found.append(response.status)
    conn.close()
    return found


def test_the_in_app_demo_simulator_refuses_forged_keys_and_keeps_the_visitors_job():
    demo = ensure_demo_simulator()
    with figures.case("demo keys", f"{FLOOD} forged keys against the app's demo simulator") as case:
        mine = new_demo_key()
        client = openai.OpenAI(api_key=mine, base_url=demo.base_url, max_retries=0)
        uploaded = client.files.create(file=("train.jsonl", chat_jsonl(20)), purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)
        answers = statuses(demo.port, forged_keys(mine, FLOOD))
        served = sum(1 for s in answers if s != 401)
        still_there = client.fine_tuning.jobs.retrieve(job.id).id == job.id
        case.figures.update(forged=FLOOD, served=served, evicted=0 if still_there else 1)
        assert served == 0
        assert still_there


def test_beyond_the_space_limit_a_live_space_is_never_dropped():
    sim = Simulator(
        speed=1.0, key_check=lambda key: key.startswith("sk-minted-"), limits=SimLimits(max_namespaces=5)
    ).start()
    try:
        with figures.case("demo keys", "minted keys beyond the space limit") as case:
            live = openai.OpenAI(api_key="sk-minted-live", base_url=sim.base_url, max_retries=0)
            kept = live.files.create(file=("train.jsonl", chat_jsonl(5)), purpose="fine-tune")
            answers = statuses(sim.port, [f"sk-minted-{i}" for i in range(20)])
            assert answers[:4] == [200] * 4 and set(answers[4:]) == {503}  # the demo is full: said, not evicted
            conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
            conn.request("GET", "/v1/files", headers={"Authorization": "Bearer sk-minted-19"})
            body = json.loads(conn.getresponse().read())
            assert body["error"]["code"] == "demo_full"
            dropped = 0 if live.files.retrieve(kept.id).id == kept.id else 1
            case.figures.update(forged=0, served=0, evicted=dropped)
            assert dropped == 0
    finally:
        sim.stop()
