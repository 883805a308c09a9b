"""Builders of test data: JSONL training data (messages, examples, whole files, crafted bad lines) and
what the pages hand each other (a checked dataset's summary, Evaluate's measured usage).

One home for what several test modules build (the validator's, the command line's, the
simulator's, the Jobs, Costs and Dataset view tests); a test module never imports another one's helpers.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib

from lib.handoff import DatasetSummary, MeasuredUsage


def sys_msg(text="You are a terse assistant."):
    return {"role": "system", "content": text}


def user(text="Hi"):
    return {"role": "user", "content": text}


def bot(text="Hello", **extra):
    return {"role": "assistant", "content": text, **extra}


def chat(*messages, **extra) -> dict:
    return {"messages": list(messages), **extra}


def good(i: int) -> dict:
    return chat(sys_msg(), user(f"What is {i} + {i}?"), bot(f"It is {2 * i}."))


def jsonl(*objects) -> bytes:
    return b"".join((o if isinstance(o, bytes) else json.dumps(o).encode()) + b"\n" for o in objects)


def jsonl_of_lines(lines: list[str]) -> bytes:
    """Already serialised lines joined into a file with a final newline."""
    return ("\n".join(lines) + "\n").encode()


def chat_jsonl(n: int, tag: str = "") -> bytes:
    """``n`` distinct arithmetic chat examples (system, user, assistant); ``tag`` sets them apart from another file's."""
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "You answer in one short sentence."},
                    {"role": "user", "content": f"Question {tag}{i}: what is {i} plus {i}?"},
                    {"role": "assistant", "content": f"{i} plus {i} is {2 * i}."},
                ]
            }
        )
        for i in range(n)
    ]
    return jsonl_of_lines(lines)


def chat_lines(n: int = 12, offset: int = 0) -> list[str]:
    """``n`` serialised chat examples numbered from ``offset``."""
    return [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "You answer arithmetic questions tersely."},
                    {"role": "user", "content": f"What is {i} plus {i}?"},
                    {"role": "assistant", "content": f"{2 * i}."},
                ]
            }
        )
        for i in range(offset, offset + n)
    ]


def dpo_jsonl(n: int = 12) -> bytes:
    """``n`` DPO preference pairs."""
    return jsonl_of_lines(
        [
            json.dumps(
                {
                    "input": {
                        "messages": [
                            {"role": "system", "content": "Be kind."},
                            {"role": "user", "content": f"Review my essay number {i}."},
                        ]
                    },
                    "preferred_output": [{"role": "assistant", "content": "It is clear; tighten the ending."}],
                    "non_preferred_output": [{"role": "assistant", "content": "Bad."}],
                }
            )
            for i in range(n)
        ]
    )


def chat_line(user: str, answer: str = "ok", **extra) -> bytes:
    """One serialised chat example (no newline) with a one-letter system prompt; ``extra`` goes on the answer."""
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": user},
                {"role": "assistant", "content": answer, **extra},
            ]
        }
    ).encode()


def tool(name="get_weather", description="Get the weather.", properties=None):
    parameters = {"type": "object", "properties": properties if properties is not None else {
        "city": {"type": "string", "description": "City name."},
        "unit": {"type": "string", "description": "Unit", "enum": ["celsius", "fahrenheit"]},
    }}  # fmt: skip
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


def call(call_id="call_1", name="get_weather", arguments='{"city": "Paris"}'):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def png(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def image_part(url, detail=None):
    spec = {"url": url} if detail is None else {"url": url, "detail": detail}
    return {"type": "image_url", "image_url": spec}


def data_uri(raw: bytes, mime="png") -> str:
    return f"data:image/{mime};base64," + base64.b64encode(raw).decode()


BASE = [good(i) for i in range(50)]  # 50 distinct valid examples: no findings at all
BAD_LINE = len(BASE) + 1


# --------------------------------------------------------------------------- one crafted line per code

# code -> the crafted line(s) appended after BASE; each must produce the code on BAD_LINE.
CRAFTED: dict[str, list] = {
    "encoding_error": [b'{"messages": [{"role": "user", "content": "caf\xe9"}]}'],
    "blank_line": [b"   ", good(900)],
    "invalid_json": [b'{"messages": [{"role": "user", "content": "hi"}'],
    "data_type": [b'[{"role": "user", "content": "hi"}]'],
    "unknown_format": [{"text": "Once upon a time"}],
    "mixed_formats": [{"prompt": "2+2=", "completion": "4"}],
    "missing_messages_list": [{"messages": []}],
    "message_missing_key": [chat(sys_msg(), {"content": "no role"}, bot())],
    "message_unrecognized_key": [chat(sys_msg(), {**user(), "mood": "happy"}, bot())],
    "unrecognized_role": [chat(sys_msg(), {"role": "bot", "content": "x"}, user(), bot())],
    "missing_content": [chat(sys_msg(), user(""), bot())],
    "example_missing_assistant_message": [chat(sys_msg(), user())],
    "invalid_weight": [chat(sys_msg(), user(), bot(weight=2))],
    "invalid_tool_call": [
        chat(sys_msg(), user(), {"role": "assistant", "tool_calls": [call(arguments={"city": "Paris"})]})
    ],
    "unmatched_tool_message": [
        chat(sys_msg(), user(), {"role": "tool", "tool_call_id": "call_9", "content": "21"}, bot())
    ],
    "invalid_tools": [chat(sys_msg(), user(), bot(), tools={"name": "x"})],
    "special_token": [chat(sys_msg(), user("end <|endoftext|> here"), bot())],
    "invalid_image": [chat(sys_msg(), user(), {"role": "assistant", "content": [image_part("https://x.test/a.png")]})],
    "invalid_dpo": [],  # DPO needs a DPO file: see test_invalid_dpo
    "invalid_prompt_completion": [],  # needs a prompt/completion file: see test_invalid_prompt_completion
    "too_few_examples": [],  # file-level: see test_too_few_examples
    "file_too_large": [],  # file-level: see test_file_too_large
    "missing_system_message": [chat(user("no system here"), bot())],
    "missing_user_message": [chat(sys_msg(), bot("talking to myself"))],
    "truncated": [],  # needs a long example: see test_truncated
    "duplicate_example": [good(0)],
    "developer_role": [chat({"role": "developer", "content": "Be brief."}, user(), bot())],
    "small_dataset": [],  # file-level: see test_small_dataset
    "train_validation_overlap": [],  # see test_train_validation_overlap
    "model_retired": [],  # see test_model_retired
}
LINE_CODES = [code for code, lines in CRAFTED.items() if lines]


# --------------------------------------------------------------------------- what the pages hand each other
def dataset_summary(**changes) -> DatasetSummary:
    """A checked chat dataset for Costs to prefill from: 500 examples, 250,000 billed tokens an epoch,
    auto (estimated) epochs, a 60-token system prompt in a 100-token prompt, 120-token answers."""
    values = dict(
        name="support.jsonl",
        sha256="ab" * 32,
        model="gpt-4o-mini",
        format="chat",
        examples=500,
        total_tokens=260_000,
        billed_tokens_per_epoch=250_000,
        n_epochs=3,
        n_epochs_is_estimate=True,
        median_system_tokens=60,
        median_prompt_tokens=100,
        median_assistant_tokens=120,
    )
    return DatasetSummary(**(values | changes))


def measured_usage(**changes) -> MeasuredUsage:
    """What an Evaluate run of 40 examples measured (simulated): 118.4 prompt tokens for the fine-tune,
    1,612.6 for the prompted model, 201.5 answer tokens."""
    values = dict(
        examples=40,
        fine_tuned_model="ft:gpt-4o-mini-2024-07-18:acme::abc",
        prompted_model="gpt-4o-mini-2024-07-18",
        prompt_tokens_fine_tuned=118.4,
        prompt_tokens_prompted=1_612.6,
        completion_tokens=201.5,
        simulated=True,
    )
    return MeasuredUsage(**(values | changes))


# The Costs link of defect 1 (issue 12): $90 of training repaid at $0.000135 a call, one call a month,
# would take 666,667 calls, about 55,556 years; the old code crashed computing that date.
FAR_AWAY_LINK = {
    "model": "gpt-4o-mini-2024-07-18",
    "tokens": "10000000",
    "examples": "1000",
    "epochs": "3",
    "prompt": "2000",
    "ft_prompt": "100",
    "message": "100",
    "output": "200",
    "calls": "1",
}
