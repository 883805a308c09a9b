"""The Dataset page through AppTest: uploads, samples, the report, hand-over and state across pages."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import lib.validate
from lib import dataset_view as view
from tests.conftest import APP, ROOT, real_file

PAGE = "pages/1_Dataset.py"
JSONL = "application/jsonl"


@pytest.fixture
def validations(monkeypatch) -> list[str]:
    """Names of the files the validator checked (the page must not check the same content twice)."""
    seen: list[str] = []
    real = lib.validate.validate_bytes

    def counting(data, **kwargs):
        seen.append(kwargs.get("name", ""))
        return real(data, **kwargs)

    monkeypatch.setattr(lib.validate, "validate_bytes", counting)
    return seen


def open_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    return at.switch_page(PAGE).run()


def uploader(at: AppTest, which: str = "train"):
    """The training ("train") or validation ("valid") uploader of the current widget generation."""
    return at.file_uploader(key=f"_dataset_{which}_upload_{at.session_state['dataset_upload_gen']}")


def upload(at: AppTest, name: str, data: bytes, which: str = "train") -> AppTest:
    return uploader(at, which).set_value((name, data, JSONL)).run()


def pick_sample(at: AppTest, key: str) -> AppTest:
    return at.selectbox(key="_dataset_sample").set_value(key).run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def unescape(text: str) -> str:
    return text.replace("\\", "")


# --------------------------------------------------------------------------- empty page
def test_empty_page_invites_an_upload_or_a_sample():
    at = open_page()
    no_exception(at)
    assert "Upload a JSONL file or choose a sample" in texts(at.info)
    assert not at.metric and not at.get("plotly_chart")
    model = at.selectbox(key="_dataset_model")
    assert model.value == "gpt-4o-mini-2024-07-18" and "gpt-4.1-nano-2025-04-14" not in model.options
    assert "Shuts down on 2027-01-14" in texts(at.caption)  # the deadline next to the picker


# --------------------------------------------------------------------------- a clean file
def test_clean_real_file_is_ready_with_figures_and_charts(validations):
    data = real_file("09_twi_tutor.jsonl").read_bytes()
    at = upload(open_page(), "twi.jsonl", data)
    no_exception(at)
    assert validations == ["twi.jsonl"]
    report = lib.validate.validate_bytes(data, name="twi.jsonl")
    assert unescape(at.success[0].value) == "Ready to train: 100 examples and no errors."
    assert metrics(at) == {
        "Examples": "100", "Tokens": f"{report.total_tokens:,}", "Billed tokens": f"{report.billed_tokens:,}",
        "Epochs (auto, estimated)": "3", "Estimated training cost": view.cost_text(report),
    }  # fmt: skip
    captions = unescape(texts(at.caption))
    assert f"price as of {report.price_as_of}" in captions
    assert "100 usable examples (100-999): Solid" in captions
    assert "No problems: every line is a valid example." in texts(at.success)
    assert at.radio(key="_dataset_handoff").options == [  # nothing to clean in a clean file
        "The files as checked: `twi.jsonl`",
        "A seeded split of the good lines into training and validation files: 10% to validation, seed 42",
    ]
    charts = at.get("plotly_chart")
    assert len(charts) == 3
    assert "limit 65,536" in json.dumps(json.loads(charts[0].proto.spec)["layout"])
    # The summary for the Costs page is left in the session.
    summary = at.session_state["dataset_summary"]
    assert (summary.name, summary.examples, summary.total_tokens) == ("twi.jsonl", 100, report.total_tokens)
    # The example viewer shows line 1 as chat bubbles, as plain text.
    assert [c.name for c in at.get("chat_message")] == ["system", "user", "assistant"]


def test_epochs_and_model_drive_the_figures():
    data = real_file("09_twi_tutor.jsonl").read_bytes()
    at = upload(open_page(), "twi.jsonl", data)
    at.selectbox(key="_dataset_epochs").set_value(5).run()
    at.selectbox(key="_dataset_model").set_value("gpt-4.1-2025-04-14").run()
    no_exception(at)
    report = lib.validate.validate_bytes(data, name="twi.jsonl", model="gpt-4.1-2025-04-14", n_epochs=5)
    assert metrics(at)["Epochs"] == "5"
    assert metrics(at)["Billed tokens"] == f"{report.billed_tokens:,}"
    assert metrics(at)["Estimated training cost"] == view.cost_text(report)
    assert "$25.00 per 1M training tokens" in unescape(texts(at.caption))


# --------------------------------------------------------------------------- a broken file
def test_broken_real_file_lists_problems_and_offers_the_cleaned_file():
    data = real_file("03_cookbook_drone_training_2024-06-13.jsonl").read_bytes()
    at = upload(open_page(), "drone.jsonl", data)
    no_exception(at)
    assert unescape(at.error[0].value).startswith("Fix 6 errors on 6 lines before training")
    table = at.dataframe[0].value
    assert list(table.columns) == ["line", "severity", "code", "message"]  # no "file" column without a validation file
    errors = table[table.severity == "error"]
    assert list(errors.line) == ["3", "4", "5", "6", "7", "8"] and set(errors.code) == {"invalid_tool_call"}
    assert "duplicate_example" in set(table.code)
    pills = at.pills(key="_dataset_codes")
    assert pills.options[0] == "invalid_tool_call · 6"  # AppTest shows the label without its icon
    # Filter to warnings only.
    at.segmented_control(key="_dataset_severities").set_value(["warning"]).run()
    assert set(at.dataframe[0].value.severity) == {"warning"}
    # Fix: the cleaned file is what can be handed over (the file as checked cannot).
    assert "Drops 6 lines with errors; keeps 81 examples." in texts(at.caption)
    handoff = at.radio(key="_dataset_handoff")
    assert handoff.options[0].startswith("The cleaned file") and not any("as checked" in o for o in handoff.options)
    assert at.toggle(key="_dataset_dedupe").label == "Also drop duplicate examples (1)"


def test_problem_lines_open_in_the_example_viewer():
    at = pick_sample(open_page(), "support_chat_faulty")
    at.selectbox(key="_dataset_jump").set_value(15).run()
    no_exception(at)
    assert at.number_input(key="_dataset_view_line").value == 15
    shown = unescape(texts(at.error))
    assert 'message 3 has role "bot"' in shown
    assert [c.name for c in at.get("chat_message")] == ["system", "user", "bot"]
    # A line that is not JSON shows its raw text instead of bubbles.
    at.number_input(key="_dataset_view_line").set_value(4).run()
    assert "not a JSON object" in texts(at.caption)
    assert at.code[0].value.startswith('{"messages": [{"role": "system"')


def test_dataset_text_is_never_rendered_as_markdown_or_html():
    at = pick_sample(open_page(), "support_chat_faulty")
    at.number_input(key="_dataset_view_line").set_value(50).run()
    no_exception(at)
    user_text = [t.value for t in at.text if "<script>" in t.value]
    assert user_text and "[click here](https://evil.example)" in user_text[0]  # verbatim, via st.text
    for element in list(at.markdown) + list(at.caption) + list(at.error) + list(at.success):
        assert "](https://evil.example" not in element.value
        assert not getattr(element.proto, "allow_html", False) or "<script>" not in element.value


def test_hostile_file_name_is_escaped():
    name = "[win](https://evil.example) :red[x] `code`.jsonl"
    at = upload(open_page(), name, (ROOT / "samples" / "support_chat.jsonl").read_bytes())
    no_exception(at)
    shown = texts(at.caption) + texts(at.markdown)
    assert "](https://evil.example)" not in shown and ":red[" not in shown
    assert "\\[win\\]\\(https\u200b\\:" in shown  # the zero-width space stops GFM's bare-URL links


# --------------------------------------------------------------------------- DPO
def test_dpo_real_file_shows_both_answers():
    data = real_file("13_ugc_ads_dpo.jsonl").read_bytes()
    at = upload(open_page(), "ads_dpo.jsonl", data)
    no_exception(at)
    # gpt-4o-mini (the default) has no DPO (issue 12, defect 3): the validator says so from the catalog
    assert "(1 warning to review)" in unescape(at.success[0].value)
    at = at.selectbox(key="_dataset_model").set_value("gpt-4.1-mini-2025-04-14").run()
    assert unescape(at.success[0].value) == "Ready to train: 54 examples and no errors."
    assert "DPO (preference pairs)" in unescape(texts(at.caption))
    markdown = texts(at.markdown)
    assert "**Preferred**" in markdown and "**Non-preferred**" in markdown
    captions = texts(at.caption)
    assert "assistant · preferred answer" in unescape(captions)
    assert "assistant · non-preferred answer" in unescape(captions)


# --------------------------------------------------------------------------- validation file
def test_validation_file_with_overlap_is_reported():
    train = (ROOT / "samples" / "support_chat.jsonl").read_bytes()
    lines = train.splitlines()
    valid = (
        b"\n".join([lines[4], *(ROOT / "samples" / "support_chat_valid.jsonl").read_bytes().splitlines()[:5], lines[9]])
        + b"\n"
    )
    at = upload(open_page(), "train.jsonl", train)
    at = upload(at, "valid.jsonl", valid, which="valid")
    no_exception(at)
    table = at.dataframe[0].value
    overlap = table[table.code == "train_validation_overlap"]
    assert list(overlap.line) == ["5", "10"] and set(overlap.file) == {"training"}
    overlap_table = at.dataframe[-1].value
    assert list(overlap_table.line) == [5, 10] and list(overlap_table.validation_line) == [1, 7]
    assert "Validation file valid.jsonl: 7 examples" in unescape(texts(at.caption))
    assert len(at.get("plotly_chart")[0].proto.spec) and "validation" in at.get("plotly_chart")[0].proto.spec
    # The example viewer can show the validation file too.
    at.segmented_control(key="_dataset_view_file").set_value("validation").run()
    assert at.number_input(key="_dataset_view_line").proto.max == 7


# --------------------------------------------------------------------------- samples
def test_sample_picker_loads_training_and_validation_files():
    at = pick_sample(open_page(), "support_chat")
    no_exception(at)
    assert at.session_state["dataset_train"].name == "support_chat.jsonl"
    assert at.session_state["dataset_valid"].name == "support_chat_valid.jsonl"
    assert unescape(at.success[0].value) == "Ready to train: 96 examples and no errors."
    assert "bundled sample" in texts(at.caption)
    # A training file upload replaces the whole sample, its validation file included.
    at = upload(at, "twi.jsonl", real_file("09_twi_tutor.jsonl").read_bytes())
    assert at.session_state["dataset_valid"] is None and at.session_state["dataset_sample"] is None
    assert at.selectbox(key="_dataset_sample").value is None


def test_a_validation_upload_keeps_the_sample_training_file_and_vice_versa():
    valid = (ROOT / "samples" / "support_chat_valid.jsonl").read_bytes()
    at = upload(pick_sample(open_page(), "support_dpo"), "my_valid.jsonl", valid, which="valid")
    no_exception(at)
    assert at.session_state["dataset_train"].name == "support_dpo.jsonl"
    assert at.session_state["dataset_valid"].name == "my_valid.jsonl"
    assert "the validation file is chat" in unescape(texts(at.error))  # a DPO file with a chat validation file
    # The user's own validation file stays when the training file is replaced.
    at = upload(at, "train.jsonl", (ROOT / "samples" / "support_chat.jsonl").read_bytes())
    assert at.session_state["dataset_valid"].name == "my_valid.jsonl"
    assert unescape(at.success[0].value).startswith("Ready to train: 96 examples")


@pytest.mark.parametrize("key", [s.key for s in view.SAMPLES])
def test_every_sample_renders(key):
    at = pick_sample(open_page(), key)
    no_exception(at)
    assert at.metric and len(at.get("plotly_chart")) == 3


# --------------------------------------------------------------------------- hand over
def test_use_for_launch_hands_the_files_and_the_summary():
    at = pick_sample(open_page(), "support_chat")
    at.radio(key="_dataset_handoff").set_value("as_checked").run()
    at.button(key="_dataset_use").click().run()
    no_exception(at)
    train, valid = at.session_state["launch_training"], at.session_state["launch_validation"]
    assert train.name == "support_chat.jsonl" and train.data == (ROOT / "samples" / "support_chat.jsonl").read_bytes()
    assert valid.name == "support_chat_valid.jsonl"
    summary = at.session_state["dataset_summary"]
    assert summary.examples == 96 and summary.error_count == 0
    assert "Handed to Launch: support_chat.jsonl (96 examples) with support_chat_valid.jsonl (24 examples)" in unescape(
        texts(at.success)
    )
    links = [(p.proto.label, p.proto.page) for p in at.get("page_link")]
    assert ("Continue to Launch", "Launch") in links


def test_use_for_launch_with_a_broken_file_hands_the_cleaned_file():
    at = pick_sample(open_page(), "support_chat_faulty")
    at.toggle(key="_dataset_dedupe").set_value(True).run()
    at.button(key="_dataset_use").click().run()
    no_exception(at)
    train = at.session_state["launch_training"]
    assert train.name == "support_chat_faulty.clean.jsonl"
    assert view.count_lines(train.data) == 51
    checked = lib.validate.validate_bytes(train.data)
    assert checked.ok and not checked.duplicates
    summary = at.session_state["dataset_summary"]
    assert (summary.name, summary.examples, summary.error_count) == ("support_chat_faulty.clean.jsonl", 51, 0)
    assert at.session_state["launch_validation"].name == "support_chat_faulty_valid.jsonl"


def test_use_for_launch_with_a_seeded_split():
    at = pick_sample(open_page(), "support_tools")
    at.slider(key="_dataset_split_percent").set_value(20).run()
    at.number_input(key="_dataset_split_seed").set_value(7).run()
    at.radio(key="_dataset_handoff").set_value("split").run()
    at.button(key="_dataset_use").click().run()
    no_exception(at)
    train, valid = at.session_state["launch_training"], at.session_state["launch_validation"]
    assert (train.name, valid.name) == ("support_tools.train.jsonl", "support_tools.valid.jsonl")
    data = (ROOT / "samples" / "support_tools.jsonl").read_bytes()
    expected = lib.validate.split_jsonl(data, lib.validate.validate_bytes(data), validation_fraction=0.2, seed=7)
    assert (train.data, valid.data) == expected


def test_a_file_that_stays_broken_is_not_handed_over():
    data = real_file("01_cookbook_toy_chat.jsonl").read_bytes()  # 5 examples: too few even when cleaned
    at = upload(open_page(), "toy.jsonl", data)
    at.button(key="_dataset_use").click().run()
    no_exception(at)
    assert at.session_state["launch_training"] is None
    assert "Not handed over" in unescape(texts(at.error))


def test_an_empty_validation_file_is_flagged_and_not_handed_over():
    at = pick_sample(open_page(), "support_chat")
    at = upload(at, "valid.jsonl", real_file("22_empty_file.jsonl").read_bytes(), which="valid")
    no_exception(at)
    assert "the validation file has no valid examples" in unescape(at.error[0].value)
    options = at.radio(key="_dataset_handoff").options
    assert not any(o.startswith("The files as checked") for o in options)
    assert options[-1].endswith("(instead of the uploaded validation file)")


# --------------------------------------------------------------------------- state across pages
def test_report_and_choices_survive_a_page_switch_without_checking_again(validations):
    data = real_file("08_charly_garcia_lyrics_es.jsonl").read_bytes()
    at = upload(open_page(), "charly.jsonl", data)
    at.selectbox(key="_dataset_model").set_value("gpt-4.1-mini-2025-04-14").run()
    at.number_input(key="_dataset_view_line").set_value(7).run()
    before = (metrics(at), at.dataframe[0].value.to_dict())
    assert validations == ["charly.jsonl", "charly.jsonl"]  # once per model
    at.switch_page("pages/2_Costs.py").run()
    no_exception(at)
    at.switch_page(PAGE).run()
    no_exception(at)
    assert uploader(at).value is None  # the widget is new on this page visit ...
    assert "charly.jsonl" in texts(at.caption) and "uploaded earlier" in texts(at.caption)  # ... the file is kept
    assert (metrics(at), at.dataframe[0].value.to_dict()) == before
    assert at.selectbox(key="_dataset_model").value == "gpt-4.1-mini-2025-04-14"
    assert at.number_input(key="_dataset_view_line").value == 7
    at.run()  # a plain rerun checks nothing either
    assert validations == ["charly.jsonl", "charly.jsonl"]


def test_removing_the_file_forgets_it():
    at = upload(open_page(), "twi.jsonl", real_file("09_twi_tutor.jsonl").read_bytes())
    uploader(at).clear().run()
    no_exception(at)
    assert at.session_state["dataset_train"] is None
    assert "Upload a JSONL file or choose a sample" in texts(at.info)


def test_remove_button_forgets_a_kept_file():
    at = pick_sample(open_page(), "support_dpo")
    at.button(key="_forget_dataset_train").click().run()
    no_exception(at)
    assert at.session_state["dataset_train"] is None and at.session_state["dataset_sample"] is None


# --------------------------------------------------------------------------- files that are not JSONL
@pytest.mark.parametrize("name, data, expected", [
    ("latin1.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"caf\xe9\"}]}\n".encode("latin-1") * 12,
     "not valid UTF-8"),
    ("empty.jsonl", b"", "the file is empty"),
    ("zipped.jsonl", b"PK\x03\x04\x14\x00\x00\x00\x08\x00rest", "ZIP archive"),
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])  # fmt: skip
def test_unreadable_files_get_one_clear_message(name, data, expected):
    at = upload(open_page(), name, data)
    no_exception(at)
    message = unescape(at.error[0].value)
    assert message.startswith("This file can't be used for fine-tuning") and expected in message
    assert not at.metric and not at.get("plotly_chart")  # nothing to count, nothing to fix
    assert "_dataset_use" not in [b.key for b in at.button]


@pytest.mark.parametrize(
    "name",
    [
        "22_empty_file.jsonl",
        "10_pretty_printed_fitness_es.jsonl",
        "15_dpo_notes_not_jsonl.jsonl",
        "16_trl_style_emoji_dpo.jsonl",
    ],
)
def test_real_unusable_files_render_without_exception(name):
    at = upload(open_page(), name, real_file(name).read_bytes())
    no_exception(at)
    assert unescape(at.error[0].value).startswith("This file can't be used for fine-tuning")
    assert at.dataframe  # the problems table still lists every finding
    assert "file" in list(at.dataframe[0].value.line)  # whole-file findings have no line number


def test_giant_line_is_checked_and_shown_cut():
    line = json.dumps(
        {"messages": [{"role": "user", "content": "word " * 200_000}, {"role": "assistant", "content": "ok"}]}
    ).encode()
    at = upload(open_page(), "giant.jsonl", (line + b"\n") * 10)
    no_exception(at)
    assert "more characters not shown" in texts(at.caption)
    assert max(len(t.value) for t in at.text) <= view.MAX_BUBBLE_CHARS


def test_upload_over_the_server_limit_is_refused_in_code():
    from streamlit import config

    before = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)
    try:
        at = upload(open_page(), "big.jsonl", b"x" * (2 * 2**20))
        no_exception(at)
        assert "over this app's upload limit of 1 MB" in unescape(texts(at.error))
        assert at.session_state["dataset_train"] is None
    finally:
        config.set_option("server.maxUploadSize", before)


def test_large_file_shows_progress_and_a_cache_hit_replays_cleanly(validations):
    """Over PROGRESS_FROM_BYTES the check draws a progress bar inside the cached function; a cache hit
    replays that bar and its removal (a bar created outside would fail the replay)."""
    data = (real_file("12_foundry_orca_dpo.jsonl").read_bytes() + b"\n") * 3  # about 2.9 MB
    assert len(data) > 2 << 20
    at = upload(open_page(), "orca3.jsonl", data)
    no_exception(at)
    assert not at.get("progress")  # emptied once the check is done
    at.run()
    no_exception(at)
    assert validations == ["orca3.jsonl"] and not at.get("progress")
    assert metrics(at)["Examples"] == "852"


REAL_FILES = sorted(p.name for p in (ROOT.parent / "shared" / "data" / "real").glob("*.jsonl")) or ["none"]


@pytest.mark.parametrize("name", REAL_FILES)
def test_every_real_file_renders_with_a_verdict(name):
    at = upload(open_page(), name, real_file(name).read_bytes())
    no_exception(at)
    first = (list(at.success) + list(at.error))[0].value
    assert unescape(first).startswith(("Ready to train", "Fix ", "This file can't be used", "The validation"))
    # every line with a finding can be opened in the viewer without an exception
    lines = at.session_state["dataset_problem_rows"] if "dataset_problem_rows" in at.session_state else []
    for _, line in [r for r in lines if r[1] is not None][:3]:
        at.number_input(key="_dataset_view_line").set_value(line).run()
        no_exception(at)
