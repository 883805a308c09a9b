"""The Costs page (pages/2_Costs.py) driven by AppTest: the wiring, not the arithmetic (see test_costs.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_app
from tests.factories import FAR_AWAY_LINK, dataset_summary, measured_usage

PAGE = "pages/2_Costs.py"
MINI = "gpt-4o-mini-2024-07-18"


def open_costs(query: dict | None = None, **state) -> AppTest:
    return open_app(PAGE, query=query, **state)


def plain(markdown: str) -> str:
    """Markdown source as the reader sees it (escapes removed): errors are escaped with md_escape."""
    return markdown.replace("\\", "")


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
    assert charts(at) == 2  # cumulative and the open sensitivity view (one tab of two); the net chart when asked
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
    at = open_costs(dataset_summary=dataset_summary(error_count=2))
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
    at = open_costs(
        {
            "calls": "1000",
            "prompt": "1500",
            "ft_prompt": "100",
            "output": "200",
            "tokens": "100000",
            "epochs": "3",
            "start": "2026-11-26",
            "model": "gpt-4o-mini",
        }
    )
    assert widget(at, "number_input", "calls_per_month").value == 1_000
    assert widget(at, "selectbox", "epochs").value == 3
    shown = metrics(at)
    assert shown["Training cost (estimate)"] == "$0.90"  # a charge is an estimate until the job reports
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
    at.session_state["_costs_prices_open"] = True  # the price editor is drawn while it is open
    at.run()
    captions = " ".join(c.value for c in at.caption)
    assert "Fine-tuned batch input: $2.225 :red-badge[doubtful]" in captions
    assert "50% batch discount" in captions
    assert "[litellm](https://github.com/BerriAI/litellm" in captions  # base prices: a secondary source, named


def test_overriding_a_price_in_the_page():
    at = open_costs()
    assert "_costs_price_fine_tuned_input" not in [w.key for w in at.number_input]
    at.session_state["_costs_prices_open"] = True  # closed, the editor is not drawn; the user opens it
    at.run()
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


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("calls_per_month", 0, "with no calls, fine-tuning can never pay back"),
        ("billed_tokens_per_epoch", 10**13, "implausibly large"),
        ("base_prompt_tokens", 0, "nothing for fine-tuning to shorten"),
        ("examples", 0, "a dataset needs examples"),
    ],
)
def test_bad_input_shows_one_message_and_no_charts(name, value, message):
    at = open_costs()
    widget(at, "number_input", name).set_value(value).run()
    assert not at.exception
    assert len(at.error) == 1 and message in plain(at.error[0].value)
    assert charts(at) == 0 and not at.metric
    # The link keeps the last good scenario rather than the bad value.
    assert at.query_params.get("calls") == "100000"


def test_a_bad_link_is_reported_and_the_page_still_works():
    at = open_costs({"calls": "abc"})
    assert "The link's scenario was not loaded" in at.error[0].value
    assert "'abc'" in at.error[0].value
    assert charts(at) == 2 and metrics(at)["Break-even"] == "12,000 calls"
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
    assert len(at.error) == 1 and "shuts down on 2027-01-14" in plain(at.error[0].value)
    assert charts(at) == 0


def test_the_comparison_table_lists_every_trainable_model():
    at = open_costs()
    table = at.dataframe[-1].value
    assert list(table["Model"]) == ["GPT-4o mini", "GPT-4.1 mini", "GPT-4o", "GPT-4.1"]
    assert list(table["Training (estimate)"]) == [0.90, 1.50, 7.50, 7.50]


def test_after_the_cut_off_the_page_says_so(monkeypatch):
    from lib import catalog

    monkeypatch.setattr(catalog, "today", lambda: catalog.load_catalog().no_new_jobs_from)
    at = open_costs()
    assert any("No model can be fine-tuned any more" in w.value for w in at.warning)
    assert charts(at) == 0 and not at.error


# ---------------------------------------------------------------- issue 12: the numbers on the page
def page_text(at: AppTest) -> str:
    """Everything the page writes (not the shared sidebar, whose deadline line is the connection
    helper's): text, captions, alerts, metric labels, values, deltas and help, widget options."""
    parts = []
    main = at.main
    for kind in ("markdown", "caption", "error", "warning", "success", "info", "title", "subheader"):
        parts += [plain(str(e.value)) for e in getattr(main, kind)]
    for m in main.metric:
        parts += [m.label, m.value, str(m.proto.delta), m.proto.help]
    for box in main.selectbox:
        parts += [str(o) for o in box.options]
    for radio in main.radio:
        parts += [str(o) for o in radio.options]
    return "\n".join(parts)


@pytest.mark.parametrize("calls", ["1", "10"])
def test_a_break_even_after_the_year_9999_is_never(calls):
    # The issue's link crashed with "year 57582 is out of range" (calls=1), or in the sensitivity chart (10).
    at = open_costs(FAR_AWAY_LINK | {"calls": calls})
    assert not at.exception
    assert metrics(at)["Break-even"] == "never"
    assert "more than 10 years of calls" in at.error[0].value
    assert charts(at) == 2


def test_a_tiny_saving_per_call_is_readable():
    at = open_costs({"prompt": "3", "ft_prompt": "1", "output": "0"})
    assert metrics(at)["Saving per call"] == "$0.00000015"
    saving = next(m for m in at.metric if m.label == "Saving per call")
    assert "($0.15 per million calls)" in saving.proto.help
    table = at.dataframe[-1].value
    assert "Saving, per 1M calls" in table and table["Saving, per 1M calls"][0] == 0.15


def test_dpo_training_says_what_it_counts():
    at = open_costs({"method": "dpo", "model": "gpt-4.1-mini"})
    assert widget(at, "selectbox", "method").value == "dpo"
    assert any("prompt plus the preferred answer" in c.value for c in at.caption)
    training = next(m for m in at.metric if m.label == "Training cost (estimate)")
    assert "prompt plus the preferred answer" in training.proto.help


def test_a_loss_says_which_date_it_is_for():
    at = open_costs({"calls": "1000", "months": "1"})
    assert "by the shutdown you would be $0.78 down ($0.83 by the end of your horizon, 2026-12-26)" in at.error[0].value
    assert metrics(at)["Net by 2026-12-26"] == "-$0.83"


def test_every_figure_shows_its_source_and_date():
    at = open_costs()
    text = page_text(at)
    pricing = "[pricing](https://developers.openai.com/api/docs/pricing), as of 2026-11-26"
    # The model caption: the training price and the shutdown date, each with its source and date.
    model_caption = next(c.value for c in at.caption if c.value.startswith("`gpt-4o-mini-2024-07-18` on OpenAI"))
    assert pricing in model_caption and "(https://developers.openai.com/api/docs/deprecations), as of" in model_caption
    # The verdict is followed by what it rests on; the cards carry it one hover away.
    assert any(
        c.value.startswith(":material/info: An estimate, not a quote.") and pricing in c.value for c in at.caption
    )
    for m in at.metric:
        assert "as of 2026-11-26" in m.proto.help, m.label
    assert "Training cost (estimate)" in text
    table = at.dataframe[-1].value
    assert set(table["Prices as of"]) == {"2026-11-26"} and "Net by" in table


def test_the_home_banner_names_the_source_of_its_deadline():
    at = open_app()
    assert any("deprecations" in c.value and "as of" in c.value for c in at.caption)


# ---------------------------------------------------------------- issue 13: Costs knows Azure
def open_azure(query: dict | None = None) -> AppTest:
    return open_costs(query, backend="azure", azure_endpoint="https://contoso.openai.azure.com")


def test_an_azure_connection_shows_azures_dates_and_the_hosting_fee():
    at = open_azure()
    assert at.radio(key="_costs_backend").value == "azure"
    text = page_text(at)
    assert "answer until **2027-10-01**" in text  # gpt-4o-mini's deployments on Azure
    assert "2027-01-14" not in text  # never OpenAI's shutdown
    assert metrics(at)["Hosting a month"] == "$1,224.00"  # $1.70 x 720 hours
    assert "Global Standard" in widget(at, "selectbox", "deployment_type").options
    assert widget(at, "number_input", "hosting_usd_per_hour").value == 1.7
    assert "https://github.com/MicrosoftDocs/azure-ai-docs" in text and ":red-badge[doubtful]" in text
    # The training price is OpenAI's list price, marked as such.
    assert "Azure publishes none per model" in text
    assert at.query_params["backend"] == "azure" and at.query_params["hosting"] == "1.7"
    widget(at, "selectbox", "model").set_value("gpt-4.1-2025-04-14").run()
    text = page_text(at)
    assert "answer until **2027-10-14**" in text and "2027-01-14" not in text
    # The comparison lists what Azure still trains (gpt-4.1-nano too) with Azure's dates.
    table = at.dataframe[-1].value
    assert "GPT-4.1 nano" in list(table["Model"]) and "Hosting a month" in table
    assert {str(d)[:10] for d in table["Shuts down"]} <= {"2027-10-01", "2027-10-14"}


def test_on_azure_hosting_alone_can_outweigh_the_saving():
    # gpt-4.1-mini, 1,500 prompt tokens saved: $0.0006 a call; $1,224 of hosting needs 2.0 million calls a month.
    at = open_azure(
        {
            "model": "gpt-4.1-mini",
            "prompt": "2000",
            "ft_prompt": "500",
            "output": "250",
            "calls": "2000000",
            "tokens": "600000",
            "epochs": "3",
        }
    )
    assert metrics(at)["Break-even"] == "never"
    assert "hosting alone outweighs the saving" in at.error[0].value
    assert "needs 2.0 million calls a month just to pay the hosting" in at.error[0].value
    # Developer deployments pay no fee: the same calls pay back at once.
    widget(at, "selectbox", "deployment_type").set_value("developer").run()
    assert widget(at, "number_input", "hosting_usd_per_hour").value == 0.0
    assert "pays for itself" in at.success[0].value
    assert any("deletes a Developer deployment after 24 hours" in c.value for c in at.caption)


def test_after_openais_cut_off_azure_still_trains(monkeypatch):
    from lib import catalog

    monkeypatch.setattr(catalog, "today", lambda: dt.date(2027, 2, 1))  # OpenAI: no new jobs since 2027-01-06
    at = open_azure()
    assert not any("No model can be fine-tuned" in w.value for w in at.warning)
    assert metrics(at)["Net by 2027-10-01"] and charts(at) == 2
    assert "2027-01-14" not in page_text(at)
    at.radio(key="_costs_backend").set_value("openai").run()
    assert any("No model can be fine-tuned any more on OpenAI" in w.value for w in at.warning)


def test_the_demo_acting_as_azure_bills_as_azure():
    at = open_costs(demo_calendar="azure")
    assert at.radio(key="_costs_backend").value == "azure" and "Hosting a month" in metrics(at)
    assert "2027-01-14" not in page_text(at)


def test_the_backend_is_changeable_and_openai_shows_openais_dates():
    at = open_azure()
    at.radio(key="_costs_backend").set_value("openai").run()
    assert "Hosting a month" not in metrics(at)
    assert "answer until **2027-01-14**" in page_text(at)
    assert "backend" in at.query_params and at.query_params["backend"] == "openai"


# ---------------------------------------------------------------- measured usage from Evaluate
def test_measured_usage_from_evaluate_replaces_the_guesses():
    at = open_costs(measured_usage=measured_usage())
    assert any("measured on 40 examples (simulated)" in m.value for m in at.markdown)
    at.button(key="_costs_use_measured").click().run()
    assert widget(at, "number_input", "base_prompt_tokens").value == 1_613
    assert widget(at, "number_input", "fine_tuned_prompt_tokens").value == 118
    assert widget(at, "number_input", "message_tokens").value == 0
    assert widget(at, "number_input", "output_tokens").value == 202
    assert any("measured on 40 examples (simulated) by Evaluate" in c.value for c in at.caption)
    # A figure typed afterwards is the user's again: the label goes.
    widget(at, "number_input", "output_tokens").set_value(150).run()
    assert not any("by Evaluate" in c.value for c in at.caption)


# ---------------------------------------------------------------- the page survives any link
def _random_links(seed: int, n: int) -> list[dict]:
    import random

    rng = random.Random(seed)
    junk = ["", "abc", "-5", "1e400", "nan", "inf", "0", "٣", "9" * 30, "2.5", "auto", "<b>x</b>", "[a](javascript:x)"]
    values = {
        "model": lambda: rng.choice([MINI, "gpt-4o", "gpt-4.1", "gpt-3.5-turbo", "nope", "gpt-4.1-nano"]),
        "tokens": lambda: str(rng.choice([1, 10**6, 10**13, rng.randint(1, 10**9)])),
        "examples": lambda: str(rng.choice([1, 10, 10**8, rng.randint(1, 10**5)])),
        "epochs": lambda: rng.choice(["auto", "1", "3", "25", "0", "99"]),
        "prompt": lambda: str(rng.choice([1, 3, 2_000_000, rng.randint(1, 10**5)])),
        "ft_prompt": lambda: str(rng.choice([0, 1, 2_000_000, rng.randint(0, 10**4)])),
        "message": lambda: str(rng.randint(0, 10**5)),
        "output": lambda: str(rng.choice([0, 10**6, 250])),
        "cache_pct": lambda: str(rng.choice([0, 50, 100, 101, -1])),
        "calls": lambda: str(rng.choice([1, 10, 10**10, 10**11, rng.randint(1, 10**7)])),
        "start": lambda: rng.choice(["2026-11-26", "2027-01-13", "2027-06-01", "2016-01-01", "2040-01-01", "x"]),
        "months": lambda: str(rng.choice([1, 120, 121, 0])),
        "method": lambda: rng.choice(["dpo", "supervised", "x"]),
        "backend": lambda: rng.choice(["openai", "azure", "aws"]),
        "deployment": lambda: rng.choice(["standard", "developer", "global_standard", "nope"]),
        "hosting": lambda: str(rng.choice([0, 1.7, 1000, 10**6])),
        "hours": lambda: str(rng.choice([1, 24, 0, 25])),
        "price_training": lambda: str(rng.choice([0, 0.5, 5000])),
    }
    links = []
    for _ in range(n):
        keys = rng.sample(sorted(values), rng.randint(1, 8))
        links.append({k: (rng.choice(junk) if rng.random() < 0.2 else values[k]()) for k in keys})
    return links


@pytest.mark.parametrize(
    "link", _random_links(seed=12, n=16), ids=lambda link: "&".join(f"{k}={v}" for k, v in link.items())[:60]
)
def test_the_page_survives_random_links(link):
    at = open_costs(link)  # fails on an exception box
    # Either the results draw, or one clear sentence says what is wrong.
    assert metrics(at) or at.error, link


def test_figures_are_built_once_per_scenario_not_on_every_visit(monkeypatch):
    """A page switch back to Costs (same numbers) reuses the session's figures; new numbers rebuild them;
    of the two sensitivity views only the open tab's is built and drawn, and the net chart when it is opened."""
    from lib.charts import costs as charts

    built = []
    for name in ("cumulative_cost_chart", "sensitivity_chart", "model_comparison_chart"):
        real = getattr(charts, name)
        monkeypatch.setattr(charts, name, lambda *a, _real=real, _name=name, **k: built.append(_name) or _real(*a, **k))
    at = open_costs()
    assert sorted(built) == ["cumulative_cost_chart", "sensitivity_chart"]
    at.switch_page("dashboard.py").run()
    at.switch_page(PAGE).run()
    assert len(built) == 2 and not at.exception
    widget(at, "number_input", "calls_per_month").set_value(2_500).run()
    assert len(built) == 4 and not at.exception
    assert len(at.get("plotly_chart")) == 2

    def titles() -> list[str]:
        return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]

    assert "Break-even vs. prompt tokens saved per call" in titles()
    at.session_state["_costs_sensitivity_view"] = "Calls per month"  # the user opens the other tab
    at.run()
    assert len(built) == 5 and "Break-even vs. calls per month" in titles() and len(titles()) == 2
    at.session_state["_costs_comparison_chart"] = True  # the user opens the net chart under the table
    at.run()
    assert built[-1] == "model_comparison_chart" and "Net result by the horizon, per model" in titles()
