"""The simulator through the real openai SDK over real HTTP (no mocks)."""

from __future__ import annotations

import json
import time

import openai
import pytest
from openai import OpenAI

from lib.simulator import Simulator


def chat_jsonl(n: int = 12) -> bytes:
    lines = [
        json.dumps({"messages": [
            {"role": "system", "content": "You answer arithmetic questions tersely."},
            {"role": "user", "content": f"What is {i} plus {i}?"},
            {"role": "assistant", "content": f"{2 * i}."},
        ]})
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(speed=100.0).start(host="127.0.0.1", port=0)
    yield simulator
    simulator.stop()


def client(sim: Simulator, key: str = "sk-test-alice", **kwargs) -> OpenAI:
    return OpenAI(base_url=sim.base_url, api_key=key, max_retries=0, **kwargs)


def wait_for(c: OpenAI, job_id: str, statuses=("succeeded", "failed", "cancelled"), timeout: float = 10.0):
    deadline = time.time() + timeout
    while True:
        job = c.fine_tuning.jobs.retrieve(job_id)
        if job.status in statuses or time.time() > deadline:
            return job
        time.sleep(0.05)


def test_upload_create_poll_to_success(sim):
    c = client(sim)
    uploaded = c.files.create(file=("train.jsonl", chat_jsonl()), purpose="fine-tune")
    assert uploaded.purpose == "fine-tune" and uploaded.bytes == len(chat_jsonl())
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=uploaded.id, suffix="first", seed=7)
    assert job.status == "validating_files"
    assert job.model == "gpt-4o-mini-2024-07-18"
    assert job.hyperparameters.n_epochs == "auto"
    done = wait_for(c, job.id)
    assert done.status == "succeeded"
    assert done.fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:personal:first:")
    assert done.trained_tokens and done.trained_tokens > 0
    assert [j.id for j in c.fine_tuning.jobs.list()] [0] == job.id
    events = c.fine_tuning.jobs.list_events(job.id, limit=5).data
    assert events[0].message == "The job has successfully completed"
