"""lib/dataset_view.py, lib/charts/dataset.py and the bundled samples, on real files (plain pytest)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest

from lib import catalog, validate
from lib import dataset_view as view
from lib.charts import COLORS
from lib.charts import dataset as charts
from tests.conftest import ROOT, real_file
from tests.factories import chat_line


def check(data: bytes, name: str = "f.jsonl", **kwargs) -> validate.Report:
    return validate.validate_bytes(data, name=name, **kwargs)


def sample_bytes(name: str) -> bytes:
    return (ROOT / "samples" / name).read_bytes()


# --------------------------------------------------------------------------- samples
def test_samples_are_generated_and_up_to_date():
    result = subprocess.run(
        [sys.executable, "samples/make_samples.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_sample_loads_and_matches_its_description():
    reports = {}
    for sample in view.SAMPLES:
        (name, data), validation = view.load_sample(sample.key)
        assert name == sample.training and data
        reports[sample.key] = check(data, name, validation=validation[1] if validation else None)
    clean = reports["support_chat"]
    assert clean.ok and clean.format == "chat" and clean.examples == 96 and not clean.warnings
    assert clean.validation.examples == 24 and clean.overlap == []
    faulty = reports["support_chat_faulty"]
    assert {f.code for f in faulty.errors} >= {
        "invalid_json",
        "blank_line",
        "example_missing_assistant_message",
        "unrecognized_role",
        "invalid_weight",
        "missing_content",
        "special_token",
        "data_type",
        "message_unrecognized_key",
        "mixed_formats",
    }
    assert {f.code for f in faulty.warnings} >= {
        "duplicate_example",
        "missing_system_message",
        "developer_role",
        "train_validation_overlap",
    }
    assert len(faulty.overlap) == 2
    dpo = reports["support_dpo"]
    assert dpo.format == "dpo" and dpo.examples == 30 and not dpo.errors
    tools = reports["support_tools"]
    assert tools.format == "chat" and tools.examples == 40 and not tools.errors


def test_samples_readme_names_every_file():
    readme = (ROOT / "samples" / "README.md").read_text()
    for path in (ROOT / "samples").glob("*.jsonl"):
        assert path.name in readme


def test_unknown_sample_is_a_key_error():
    with pytest.raises(KeyError):
        view.load_sample("nope")


# --------------------------------------------------------------------------- inputs
def test_upload_limit_message():
    assert view.upload_too_large(10 * 2**20, 10) is None
    message = view.upload_too_large(10 * 2**20 + 1, 10)
    assert "10.0 MB" in message and "limit of 10 MB" in message


def test_model_choices_follow_the_catalog_dates():
    cat = catalog.load_catalog()
    now = view.model_choices(cat, dt.date(2026, 11, 26))
    assert "gpt-4o-mini-2024-07-18" in [m.id for m in now]
    assert "gpt-4.1-nano-2025-04-14" not in [m.id for m in now]  # shut down 2026-10-23
    # After the platform's last day nothing is trainable; the picker still offers every model that can be
    # fine-tuned to check files (never a replacement model such as gpt-6-luna).
    later = view.model_choices(cat, dt.date(2027, 2, 1))
    assert len(later) == len([m for m in cat.models.values() if m.fine_tunable]) and all(m.fine_tunable for m in later)


def test_deadline_note_names_shutdown_and_cutoff():
    cat = catalog.load_catalog()
    info = cat.resolve("gpt-4o-mini-2024-07-18")
    note = view.deadline_note(info, cat, dt.date(2026, 11, 26))
    assert note.startswith("Shuts down on 2027-01-14") and "2027-01-06 (41 days left)" in note
    assert "no new fine-tuning jobs since" in view.deadline_note(info, cat, dt.date(2027, 1, 10))


def test_model_label_and_epochs_label():
    info = catalog.load_catalog().resolve("gpt-4o-mini")
    assert view.model_label(info) == "GPT-4o mini · $3.00 / 1M training tokens"
    assert view.epochs_label("auto").startswith("auto")
    assert view.epochs_label(1) == "1 epoch" and view.epochs_label(4) == "4 epochs"


# --------------------------------------------------------------------------- verdict
def test_verdict_ready_for_a_clean_real_file():
    report = check(real_file("09_twi_tutor.jsonl").read_bytes())
    assert view.verdict(report) == ("ready", "Ready to train: 100 examples and no errors.")


def test_verdict_counts_errors_and_lines():
    report = check(real_file("03_cookbook_drone_training_2024-06-13.jsonl").read_bytes())
    kind, sentence = view.verdict(report)
    assert kind == "fix" and sentence.startswith("Fix 6 errors on 6 lines before training")


def test_verdict_names_a_file_level_error():
    report = check(real_file("01_cookbook_toy_chat.jsonl").read_bytes())
    assert view.verdict(report) == (
        "fix",
        "Fix 1 error before training: the file has 5 valid examples; fine-tuning needs at least 10.",
    )


@pytest.mark.parametrize("data, expected", [
    (b"", "the file is empty"),
    (b"\n", "the file is empty"),
    (b"PK\x03\x04rest of a zip", "ZIP archive"),
    (b"\x1f\x8b\x08\x00gzip", "gzip"),
    (bytes(range(256)), "binary"),
    ("{\"messages\": \"caf\xe9\"}\n".encode("latin-1") * 12, "12 of 12 lines have this problem (encoding_error)"),
])  # fmt: skip
def test_verdict_unusable_names_the_root_cause(data, expected):
    kind, sentence = view.verdict(check(data))
    assert kind == "unusable" and expected in sentence
    assert "too_few" not in sentence


def test_verdict_pretty_printed_real_file():
    kind, sentence = view.verdict(check(real_file("10_pretty_printed_fitness_es.jsonl").read_bytes()))
    assert kind == "unusable" and "pretty-printed JSON, not JSONL" in sentence


def test_root_cause_counts_lines_not_findings():
    # One line with three invalid_dpo findings is one line, not "3 of 1 lines".
    report = check(real_file("14_dpo_plain_strings.jsonl").read_bytes())
    assert view.root_cause(report).startswith("line 1:")


def test_verdict_includes_validation_file_errors():
    train = b"\n".join(chat_line(f"q{i}") for i in range(12)) + b"\n"
    report = check(train, validation=b"not json\n" + chat_line("v") + b"\n")
    kind, sentence = view.verdict(report)
    assert kind == "fix" and "1 error on 1 line" in sentence


def test_empty_validation_file_is_not_ready():
    data = sample_bytes("support_chat.jsonl")
    report = check(data, validation=real_file("22_empty_file.jsonl").read_bytes())
    assert not report.ok and not view.ready(report)
    assert report.validation.errors[0].code == "too_few_examples"
    assert view.verdict(report)[0] == "fix" and "validation file has no valid examples" in view.verdict(report)[1]
    assert view.ready(check(data, validation=sample_bytes("support_chat_valid.jsonl")))


def test_cost_text():
    report = check(sample_bytes("support_chat.jsonl"))
    assert view.cost_text(report) == f"${report.training_cost_usd:,.2f}"


@pytest.mark.parametrize(
    "n, step", [(0, 0), (9, 0), (10, 1), (49, 1), (50, 2), (99, 2), (100, 3), (999, 3), (1000, 4), (250_000, 4)]
)
def test_size_guide_steps(n, step):
    index, sentence = view.size_guide(n)
    assert index == step and sentence.startswith(f"{n:,} usable example")
    assert f"**{view.SIZE_STEPS[step][1]}**" in view.size_ladder(n)


def test_size_guide_sentences_follow_the_guidance():
    assert "little" in view.size_guide(30)[1]
    assert "solid" in view.size_guide(300)[1].lower()
    assert "complex tasks" in view.size_guide(1500)[1]


# --------------------------------------------------------------------------- problems
def test_problem_rows_filters_and_strips_the_line_prefix():
    (_, data), (_, valid) = view.load_sample("support_chat_faulty")
    report = check(data, validation=valid)
    rows = view.problem_rows(report)
    assert len(rows) == len(report.findings()) + len(report.validation.findings())
    assert rows[0]["file"] == "training"
    blank = next(r for r in rows if r["code"] == "blank_line")
    assert blank["line"] == 8 and not blank["message"].startswith("line 8:")
    only_errors = view.problem_rows(report, severities={"error"})
    assert only_errors and all(r["severity"] == "error" for r in only_errors)
    only_json = view.problem_rows(report, codes={"invalid_json"})
    assert [r["line"] for r in only_json] == [4]


def test_problem_rows_keep_file_level_messages():
    rows = view.problem_rows(check(b""))
    assert rows[0]["line"] is None and rows[0]["message"].startswith("the file is empty")


def test_line_label():
    assert [view.line_label(x) for x in (None, float("nan"), 7, 7.0)] == ["file", "file", "7", "7"]


def test_code_counts_errors_first_then_by_count():
    report = check(sample_bytes("support_chat_faulty.jsonl"))
    counts = view.code_counts(report)
    severities = [c["severity"] for c in counts]
    assert severities == sorted(severities, key=lambda s: s != "error")
    assert counts[0]["count"] == 2 and counts[0]["first_line"] == 12
    assert sum(c["count"] for c in counts) == len(report.findings())
    assert view.code_pill_label(counts[0]).startswith(":material/error: ")


def test_findings_on_line_and_jump_label():
    report = check(sample_bytes("support_chat_faulty.jsonl"))
    assert [f.code for f in view.findings_on_line(report, 15)] == [
        "unrecognized_role",
        "example_missing_assistant_message",
    ]
    assert view.jump_label(report, 15) == "line 15 · error: unrecognized_role, example_missing_assistant_message"
    assert view.jump_label(report, 30) == "line 30 · warning: missing_system_message"
    assert view.viewer_lines(report)[:3] == [4, 8, 12]
    lines = view.viewer_lines(report)
    assert view.jump_labels(report, lines) == {line: view.jump_label(report, line) for line in lines}


def test_jump_labels_of_a_million_findings_take_one_pass():
    report = check(b"{}\n" * 200_000)
    started = time.perf_counter()
    labels = view.jump_labels(report, view.viewer_lines(report))
    assert len(labels) == view.MAX_TABLE_ROWS and labels[7] == "line 7 · error: unknown_format"
    assert time.perf_counter() - started < 2  # a pass per label took hours on a million lines


# --------------------------------------------------------------------------- lines, duplicates, overlap
@pytest.mark.parametrize("data, lines", [
    (b"", []), (b"\n", [b""]), (b"a\nb", [b"a", b"b"]), (b"a\nb\n", [b"a", b"b"]), (b"a\n\nb\n", [b"a", b"", b"b"]),
])  # fmt: skip
def test_line_index_counts_physical_lines_like_the_validator(data, lines):
    index = view.LineIndex(data)
    assert len(index) == len(lines) == view.count_lines(data)
    assert [index.raw(i) for i in range(1, len(lines) + 1)] == lines
    assert index.raw(0) == b"" and index.raw(len(lines) + 1) == b""


def test_line_index_text_is_cut_and_decoded_safely():
    index = view.LineIndex(b"x" * 50 + b"\r\n\xff\xfe\n")
    assert index.text(1, limit=10) == ("x" * 10, 40)
    assert index.text(2)[0] == "\ufffd\ufffd"


def test_duplicate_rows_on_a_real_file():
    data = real_file("08_charly_garcia_lyrics_es.jsonl").read_bytes()
    report = check(data)
    rows = view.duplicate_rows(report, data)
    assert len(rows) == 20
    assert all(r["same_as"] < r["line"] for r in rows)
    assert all(r["preview"] and len(r["preview"]) <= view.PREVIEW_CHARS for r in rows)


def test_overlap_rows_preview_the_user_text():
    train = sample_bytes("support_chat.jsonl")
    lines = train.splitlines()
    report = check(train, validation=lines[4] + b"\n" + lines[9] + b"\n")
    rows = view.overlap_rows(report, train)
    assert [(r["line"], r["validation_line"]) for r in rows] == [(5, 1), (10, 2)]
    assert rows[0]["preview"] == json.loads(lines[4])["messages"][1]["content"][: view.PREVIEW_CHARS]


# --------------------------------------------------------------------------- bubbles
def test_bubbles_of_a_chat_example_are_plain_text():
    hostile = "<script>alert(1)</script> [click](https://evil.example) ![x](https://evil.example/p.png)"
    example = json.loads(chat_line(hostile, "fine", weight=0))
    bubbles = view.bubbles(example)
    assert [b.role for b in bubbles] == ["system", "user", "assistant"]
    assert bubbles[0].avatar == ":material/settings:" and bubbles[1].avatar is None
    assert bubbles[1].text == hostile  # shown verbatim by st.text, never as markdown or HTML
    assert bubbles[2].caption == "assistant · weight 0: not trained"


def test_bubbles_show_tool_calls_as_json_and_tool_results():
    data = sample_bytes("support_tools.jsonl")
    bubbles = view.bubbles(validate.read_example(data, 1))
    call = next(b for b in bubbles if b.code)
    assert call.role == "assistant" and call.caption == "assistant · calls lookup_order"
    shown = json.loads(call.code)[0]
    assert shown["name"] == "lookup_order" and shown["arguments"] == {"order_id": shown["arguments"]["order_id"]}
    result = next(b for b in bubbles if b.role == "tool")
    assert result.avatar == ":material/build:" and result.caption.startswith("tool · result of call_")


def test_double_encoded_arguments_stay_as_written():
    data = real_file("03_cookbook_drone_training_2024-06-13.jsonl").read_bytes()
    raw = json.loads(data.splitlines()[2])["messages"][2]["tool_calls"][0]["function"]["arguments"]
    call = next(b for b in view.bubbles(validate.read_example(data, 3)) if b.code)
    assert json.loads(call.code)[0]["arguments"] == raw  # the fault stays visible


def test_bubbles_of_a_dpo_example_mark_both_answers():
    data = real_file("13_ugc_ads_dpo.jsonl").read_bytes()
    bubbles = view.bubbles(validate.read_example(data, 1))
    sides = [b.side for b in bubbles]
    assert sides[-2:] == ["preferred", "non_preferred"] and set(sides[:-2]) == {""}
    assert bubbles[-1].caption == "assistant · non-preferred answer"


def test_bubbles_cut_giant_text_and_count_images():
    example = {"messages": [
        {"role": "user", "content": [{"type": "text", "text": "y" * (view.MAX_BUBBLE_CHARS + 5)},
                                     {"type": "image_url", "image_url": {"url": "https://x.example/a.png"}}]},
        {"role": "bot", "content": "?"}]}  # fmt: skip
    user, bot = view.bubbles(example)
    assert len(user.text) == view.MAX_BUBBLE_CHARS and user.cut_chars == 5
    assert "1 image (not loaded)" in user.caption
    assert bot.role == "bot" and bot.avatar == ":material/help:"


def test_bubbles_of_nothing():
    assert view.bubbles(None) == [] and view.bubbles({"x": 1}) == []


# --------------------------------------------------------------------------- fix and hand over
@pytest.mark.parametrize("dedupe", [False, True])
def test_clean_plan_matches_what_clean_jsonl_writes(dedupe):
    data = sample_bytes("support_chat_faulty.jsonl")
    report = check(data)
    plan = view.clean_plan(report, dedupe=dedupe)
    cleaned = validate.clean_jsonl(data, report, dedupe=dedupe)
    assert plan["kept"] == view.count_lines(cleaned)
    assert plan["blank_lines"] == 1 and plan["error_lines"] == 9 and plan["duplicates"] == (1 if dedupe else 0)
    assert check(cleaned).errors == []


def test_clean_caption():
    assert (
        view.clean_caption({"error_lines": 2, "blank_lines": 1, "duplicates": 0, "kept": 7})
        == "Drops 2 lines with errors and 1 blank line; keeps 7 examples."
    )
    assert (
        view.clean_caption({"error_lines": 0, "blank_lines": 0, "duplicates": 0, "kept": 1})
        == "Nothing to drop: the file is clean and keeps 1 example."
    )


def test_split_caption_matches_split_jsonl():
    data = sample_bytes("support_chat.jsonl")
    report = check(data)
    _, valid = validate.split_jsonl(data, report, validation_fraction=0.2, seed=7)
    assert view.split_caption(report.valid_examples, 20).startswith(f"About {view.count_lines(valid)} of 96 ")


@pytest.mark.parametrize("name, suffix, expected", [
    ("train.jsonl", "clean", "train.clean.jsonl"), ("data.JSONL", "train", "data.train.jsonl"),
    ("notes.txt", "clean", "notes.clean.jsonl"), ("noext", "valid", "noext.valid.jsonl"), (".jsonl", "x", "dataset.x.jsonl"),
])  # fmt: skip
def test_derived_name(name, suffix, expected):
    assert view.derived_name(name, suffix) == expected


def test_handed_text():
    text = view.handed_text({"train": "a.jsonl", "examples": 10, "valid": "b.jsonl", "valid_examples": 1})
    assert text == (
        "Handed to Launch: a.jsonl (10 examples) with b.jsonl (1 example) for validation. "
        "The Costs page now uses its figures."
    )


# --------------------------------------------------------------------------- sentences and escaping
def test_file_facts_price_note_and_stats_caption():
    report = check(sample_bytes("support_dpo.jsonl"), name="support_dpo.jsonl")
    info = catalog.load_catalog().resolve(report.model)
    assert view.file_facts(report, 1536) == (
        "support_dpo.jsonl · 1.5 KB · 30 lines · DPO (preference pairs) · "
        "o200k_base tokenizer · limit 65,536 tokens per example"
    )
    assert "$3.00 per 1M training tokens" in view.price_note(report, info)
    assert f"price as of {report.price_as_of}" in view.price_note(report, info)
    caption = view.stats_caption(report.stats, 65536)
    assert caption.startswith(f"Tokens per example: min {report.stats['min']}") and caption.endswith("(limit 65,536).")


def test_validation_facts_say_validation_is_not_billed():
    report = check(
        sample_bytes("support_chat.jsonl"),
        validation=sample_bytes("support_chat_valid.jsonl"),
        validation_name="v.jsonl",
    )
    assert view.validation_facts(report.validation).startswith("Validation file v.jsonl: 24 examples")
    assert "not billed" in view.validation_facts(report.validation)


# --------------------------------------------------------------------------- charts
def test_tokens_histogram_far_limit_is_an_annotation_not_a_squeezed_axis():
    fig = charts.tokens_histogram([100, 200, None, 300], 65536, validation=[150])
    assert [t.name for t in fig.data] == ["training", "validation"]
    assert sum(fig.data[0].y) == 3 and sum(fig.data[1].y) == 1
    assert list(fig.data[0].x) == list(fig.data[1].x)  # shared bins: overlaid bars line up
    assert fig.data[0].marker.color == COLORS["train"] and fig.data[1].marker.color == COLORS["valid"]
    assert not fig.layout.shapes
    assert "limit 65,536" in fig.layout.annotations[0].text and "0.5% of it" in fig.layout.annotations[0].text


def test_tokens_histogram_near_limit_draws_the_line():
    fig = charts.tokens_histogram([100, 40_000, 70_000], 65536)
    assert fig.layout.shapes[0].x0 == 65536
    assert any("limit 65,536" in (a.text or "") for a in fig.layout.annotations)


def test_histograms_on_a_real_file():
    report = check(real_file("07_legacy_functions_support_bot.jsonl").read_bytes())
    tokens = charts.tokens_histogram(report.per_example_tokens, report.training_limit)
    assistant = charts.assistant_tokens_histogram(report.assistant_tokens)
    messages = charts.messages_histogram(report.n_messages)
    assert sum(tokens.data[0].y) == report.examples
    assert sum(assistant.data[0].y) == sum(1 for a in report.assistant_tokens if a is not None)
    counts = [n for n in report.n_messages if n is not None]
    assert dict(zip(messages.data[0].x, messages.data[0].y)) == {
        n: counts.count(n) for n in range(min(counts), max(counts) + 1)
    }
    assert messages.layout.xaxis.dtick == 1
    assert messages.data[0].customdata[0] == f"{min(counts)} messages"


def test_histograms_send_bars_not_points():
    """A large file costs the browser at most MAX_BINS bars per series, not one point per example."""
    values = list(range(200_000))
    fig = charts.tokens_histogram(values, 65536, validation=values[:1000])
    assert all(len(t.x) <= charts.MAX_BINS for t in fig.data)
    assert sum(fig.data[0].y) == 200_000
    assert len(charts.messages_histogram([1, 500]).data[0].x) <= charts.MAX_BINS


def test_bin_edges_cover_every_value():
    edges = charts.bin_edges([3, 3, 3])
    assert list(edges) == [2.5, 3.5]
    assert list(charts.bin_edges([2, 5], integer=True)) == [1.5, 2.5, 3.5, 4.5, 5.5]
    edges = charts.bin_edges([1, 10_000], [70_000])
    assert edges[0] == 1 and edges[-1] == 70_000


def test_histograms_without_examples_say_so():
    for fig in (
        charts.tokens_histogram([None], 65536),
        charts.assistant_tokens_histogram([]),
        charts.messages_histogram([None, None]),
    ):
        assert not fig.data
        assert fig.layout.annotations[-1].text == "no examples to show"
