"""The Costs page (pages/2_Costs.py) driven by AppTest: the wiring, not the arithmetic (see test_costs.py)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib.handoff import DatasetSummary
from tests.conftest import APP

PAGE = "pages/2_Costs.py"
MINI = "gpt-4o-mini-2024-07-18"


def open_costs(query: dict | None = None, summary: DatasetSummary | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if query:
        at.query_params.update(query)
    if summary:
        at.session_state["dataset_summary"] = summary
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def widget(at: AppTest, kind: str, name: str):
    return getattr(at, kind)(key="_costs_" + name)


def test_default_scenario_without_a_dataset():
    at = open_costs()
    shown = metrics(at)
    # 100,000 billed tokens x auto (3, estimated) epochs x $3.00 / 1M on gpt-4o-mini
    assert shown["Training cost (estimate)"] == "$0.90"
    assert shown["Saving per call"] == "$0.000075"
    assert shown["Break-even"] == "12,000 calls"
    assert shown["Net by 2027-01-14"] == "$11.20"
    assert "pays for itself after 12,000 calls" in at.success[0].value
    assert charts(at) == 4  # cumulative, two sensitivity views, model comparison
    assert any("No dataset checked yet" in c.value for c in at.caption)
    # The page says what fine-tuning does not buy, next to the numbers.
    info = " ".join(i.value for i in at.info)
    assert "new facts" in info and "reason better" in info
    # The scenario is written to the URL so the link can be shared.
    assert at.query_params["calls"] == "100000" and at.query_params["model"] == MINI
    assert at.query_params["epochs"] == "auto"
    download = at.get("download_button")[0].proto
    assert download.label == "Download this scenario (CSV)" and download.url.endswith(".csv")


def test_prefilled_from_a_checked_dataset():
    summary = DatasetSummary(name="support.jsonl", sha256="ab" * 32, model="gpt-4o-mini", format="chat",
                             examples=500, total_tokens=260_000, billed_tokens_per_epoch=250_000, n_epochs=3,
                             n_epochs_is_estimate=True, median_system_tokens=60, median_prompt_tokens=100,
                             median_assistant_tokens=120, error_count=2)
    at = open_costs(summary=summary)
    assert widget(at, "number_input", "billed_tokens_per_epoch").value == 250_000
    assert widget(at, "number_input", "examples").value == 500
    assert widget(at, "number_input", "fine_tuned_prompt_tokens").value == 60
    assert widget(at, "number_input", "message_tokens").value == 40
    assert widget(at, "number_input", "output_tokens").value == 120
    # 250,000 x 3 (auto, estimated for 500 examples) x $3.00 / 1M = $2.25
    assert metrics(at)["Training cost (estimate)"] == "$2.25"
    assert any("support.jsonl" in c.value for c in at.caption)
    assert any("2 errors" in w.value for w in at.warning)
    assert at.query_params["tokens"] == "250000"
    # A figure the user then changes survives a rerun: the same dataset is not applied twice.
    widget(at, "number_input", "output_tokens").set_value(300).run()
    at.run()
    assert widget(at, "number_input", "output_tokens").value == 300


def test_typed_values_survive_a_page_switch():
    at = open_costs()
    widget(at, "number_input", "calls_per_month").set_value(2_500).run()
    at.switch_page("dashboard.py").run()
    at.switch_page(PAGE).run()
    assert widget(at, "number_input", "calls_per_month").value == 2_500
    assert at.query_params["calls"] == "2500"


def test_query_params_restore_a_scenario():
    at = open_costs({"calls": "1000", "prompt": "1500", "ft_prompt": "100", "output": "200", "tokens": "100000",
                     "epochs": "3", "start": "2026-11-26", "model": "gpt-4o-mini"})
    assert widget(at, "number_input", "calls_per_month").value == 1_000
    assert widget(at, "selectbox", "epochs").value == 3
    shown = metrics(at)
    assert shown["Training cost"] == "$0.90"  # 3 epochs typed, so no "(estimate)"
    assert shown["Net by 2027-01-14"] == "-$0.78"
    error = at.error[0].value.replace("\\", "")  # error text is markdown-escaped (md_escape)
    assert "2027-11-26" in error and "shuts down on 2027-01-14" in error
    assert any("7,440 calls a month" in c.value for c in at.caption)
    assert at.query_params["model"] == MINI  # the alias is written back as the dated name


def test_what_it_would_take_is_spelled_out():
    # A 1,000-token fine-tuned prompt never pays at 100,000 calls a month; 331 tokens or fewer would
    # (worked out in test_costs.py::test_pay_off_thresholds_are_exact).
    at = open_costs({"ft_prompt": "1000"})
    assert metrics(at)["Break-even"] == "never"
    assert any("a fine-tuned prompt of at most 331 tokens (now 1,000)" in c.value for c in at.caption)


def test_price_override_in_the_link_and_reset():
    at = open_costs({"price_training": "1.5"})
    assert metrics(at)["Training cost (estimate)"] == "$0.45"  # 300,000 x $1.50 / 1M
    assert any("Overridden: training" in c.value for c in at.caption)
    assert widget(at, "number_input", "price_training").value == 1.5
    at.button(key="_costs_reset_prices").click().run()
    assert metrics(at)["Training cost (estimate)"] == "$0.90"
    assert "price_training" not in at.query_params


def test_doubtful_catalog_prices_are_flagged():
    at = open_costs({"model": "gpt-4o"})
    captions = " ".join(c.value for c in at.caption)
    assert "Fine-tuned batch input: $2.225 :red-badge[doubtful]" in captions
    assert "50% batch discount" in captions
    assert "[litellm](https://github.com/BerriAI/litellm" in captions  # base prices: a secondary source, named


def test_overriding_a_price_in_the_page():
    at = open_costs()
    widget(at, "number_input", "price_fine_tuned_input").set_value(0.15).run()
    # Fine-tuned short call: 100 x $0.15 + 200 x $1.20 = $0.000255; saving $0.00009
    assert metrics(at)["Saving per call"] == "$0.00009"
    assert at.query_params["price_fine_tuned_input"] == "0.15"


def test_pasted_prompt_is_counted_with_the_model_tokenizer():
    at = open_costs()
    widget(at, "text_area", "prompt_text").set_value("hello world").run()
    assert any("2 tokens with o200k_base" in c.value for c in at.caption)
    at.button(key="_costs_use_count").click().run()
    assert widget(at, "number_input", "base_prompt_tokens").value == 2
    # A 2-token prompt cannot be shortened to 100 tokens: fine-tuning never pays.
    assert metrics(at)["Break-even"] == "never"
    at.switch_page("dashboard.py").run()
    at.switch_page(PAGE).run()
    assert widget(at, "text_area", "prompt_text").value == "hello world"


@pytest.mark.parametrize("name, value, message", [
    ("calls_per_month", 0, "with no calls, fine-tuning can never pay back"),
    ("billed_tokens_per_epoch", 10**13, "implausibly large"),
    ("base_prompt_tokens", 0, "nothing for fine-tuning to shorten"),
    ("examples", 0, "a dataset needs examples"),
])
def test_bad_input_shows_one_message_and_no_charts(name, value, message):
    at = open_costs()
    widget(at, "number_input", name).set_value(value).run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value.replace("\\", "")  # md_escape'd
    assert charts(at) == 0 and not at.metric
    # The link keeps the last good scenario rather than the bad value.
    assert at.query_params.get("calls") == "100000"


def test_a_bad_link_is_reported_and_the_page_still_works():
    at = open_costs({"calls": "abc"})
    assert "The link's scenario was not loaded" in at.error[0].value
    assert "'abc'" in at.error[0].value
    assert charts(at) == 4 and metrics(at)["Break-even"] == "12,000 calls"
    assert at.query_params["calls"] == "100000"  # the bad link is replaced by a good one
    at.run()
    assert not at.error  # reported once, not on every rerun


def test_a_link_to_a_retired_model_falls_back_with_a_notice():
    at = open_costs({"model": "gpt-3.5-turbo"})
    assert any("can no longer be fine-tuned" in w.value.replace("\\", "") for w in at.warning)
    assert widget(at, "selectbox", "model").value == MINI
    assert not at.error


def test_start_date_after_the_shutdown_is_a_clear_error():
    at = open_costs({"start": "2027-02-01"})
    assert len(at.error) == 1 and "shuts down on 2027-01-14" in at.error[0].value.replace("\\", "")
    assert charts(at) == 0


def test_the_comparison_table_lists_every_trainable_model():
    at = open_costs()
    table = at.dataframe[-1].value
    assert list(table["Model"]) == ["GPT-4o mini", "GPT-4.1 mini", "GPT-4o", "GPT-4.1"]
    assert list(table["Training"]) == [0.90, 1.50, 7.50, 7.50]


def test_after_the_cut_off_the_page_says_so(monkeypatch):
    from lib import catalog

    monkeypatch.setattr(catalog, "today", lambda: catalog.load_catalog().no_new_jobs_from)
    at = open_costs()
    assert any("No model can be fine-tuned any more" in w.value for w in at.warning)
    assert charts(at) == 0 and not at.error
