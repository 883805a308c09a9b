"""The cost model (lib/costs.py) and its figures (lib/charts/costs.py), checked by hand to the cent.

Worked examples use the catalog's gpt-4o-mini prices, asserted first so a
price change in catalog.json fails loudly here rather than silently:
training $3.00 / 1M; base $0.15 in, $0.075 cached, $0.60 out; fine-tuned
$0.30 in, $0.15 cached, $1.20 out. The model shuts down on 2027-01-14.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import replace
from fractions import Fraction

import pytest

from lib import catalog, costs
from lib.charts import costs as charts
from lib.costs import CostInputError, Outcome, Scenario
from lib.handoff import DatasetSummary

MINI = "gpt-4o-mini-2024-07-18"
START = dt.date(2026, 11, 26)
SHUTDOWN = dt.date(2027, 1, 14)


@pytest.fixture(autouse=True)
def _catalog_as_expected():
    mini = catalog.load_catalog().resolve(MINI)
    assert mini.training_per_1m == 3.00
    assert (mini.base.input, mini.base.cached_input, mini.base.output) == (0.15, 0.075, 0.60)
    assert (mini.fine_tuned.input, mini.fine_tuned.cached_input, mini.fine_tuned.output) == (0.30, 0.15, 1.20)
    assert mini.shutdown_date == SHUTDOWN


def scenario(**changes) -> Scenario:
    """The brief's worked example: 100,000 billed tokens x 3 epochs; 1,500-token prompt cut to 100."""
    values = dict(model=MINI, billed_tokens_per_epoch=100_000, examples=100, epochs=3, base_prompt_tokens=1_500,
                  fine_tuned_prompt_tokens=100, output_tokens=200, calls_per_month=100_000, start_date=START,
                  horizon_months=12)
    values.update(changes)
    return Scenario(**values)


# ---------------------------------------------------------------- worked examples
def test_training_cost_of_the_guide_example():
    # 100,000 tokens x 3 epochs x $3.00 / 1M = $0.90 (OpenAI's own worked example)
    cost = costs.training_cost(100_000, 3, 3.00)
    assert cost.billed_tokens == 300_000
    assert cost.cost == pytest.approx(0.90, abs=1e-12)
    assert not cost.epochs_is_estimate
    assert costs.project(scenario()).training.cost == pytest.approx(0.90, abs=1e-12)


def test_per_call_costs_and_break_even_by_hand():
    # Base, long prompt:  1,500 x $0.15/1M = $0.000225 + 200 x $0.60/1M = $0.000120  -> $0.000345
    # Fine-tuned, short:    100 x $0.30/1M = $0.000030 + 200 x $1.20/1M = $0.000240  -> $0.000270
    # Saving $0.000075 a call; $0.90 / $0.000075 = exactly 12,000 calls (not 12,001).
    p = costs.project(scenario())
    assert p.base_call.cost == pytest.approx(0.000345, abs=1e-15)
    assert p.fine_tuned_call.cost == pytest.approx(0.000270, abs=1e-15)
    assert p.saving_per_call == pytest.approx(0.000075, abs=1e-15)
    assert p.break_even_calls == 12_000
    # 100,000 calls a month from 2026-11-26: 12,000 calls = 0.12 of the 30-day month to 2026-12-26
    # = 3.6 days -> reached on day 4, 2026-11-30.
    assert p.break_even_date == dt.date(2026, 11, 30)
    assert p.outcome is Outcome.PAYS_OFF
    # Net by the shutdown (the 12-month horizon is cut there): 1 month + 19/31 of the next = 50/31 months
    # -> 100,000 x 50/31 = 161,290.32 calls x $0.000075 = $12.10 - $0.90 training = $11.20.
    assert p.horizon_end == SHUTDOWN and p.horizon_capped
    assert p.calls_by_horizon == pytest.approx(100_000 * 50 / 31)
    assert round(p.net_saving_at_horizon, 2) == 11.20


def test_fine_tuning_that_never_pays():
    # A "short" prompt of 1,000 tokens: 1,000 x $0.30/1M = $0.000300 + $0.000240 = $0.000540 a call,
    # more than the base model's $0.000345 with the full 1,500 tokens: every call loses $0.000195.
    p = costs.project(scenario(fine_tuned_prompt_tokens=1_000))
    assert p.fine_tuned_call.cost == pytest.approx(0.000540, abs=1e-15)
    assert p.saving_per_call == pytest.approx(-0.000195, abs=1e-15)
    assert p.outcome is Outcome.NEVER
    assert p.break_even_calls is None and p.break_even_date is None and p.months_to_break_even is None
    # By the shutdown: -$0.90 - 161,290.32 x $0.000195 = -$32.35
    assert round(p.net_saving_at_horizon, 2) == -32.35
    assert "never pays" in costs.verdict(p)


def test_equal_cost_per_call_is_never_too():
    # Output-only calls with no prompt difference: the fine-tuned premium makes them dearer; and with
    # fine-tuned prices overridden down to the base prices, the saving is exactly zero -> still never.
    same = scenario(fine_tuned_prompt_tokens=1_500, price_overrides={
        "fine_tuned_input": 0.15, "fine_tuned_cached_input": 0.075, "fine_tuned_output": 0.60})
    p = costs.project(same)
    assert p.saving_per_call == 0
    assert p.outcome is Outcome.NEVER


def test_break_even_after_the_shutdown_is_a_loss_with_its_date():
    # 1,000 calls a month: 12,000 calls take exactly 12 months -> 2027-11-26, long after the 2027-01-14
    # shutdown. By the shutdown only 1,000 x 50/31 = 1,612.90 calls happen: saving $0.12 - $0.90 = -$0.78.
    p = costs.project(scenario(calls_per_month=1_000))
    assert p.break_even_calls == 12_000
    assert p.break_even_date == dt.date(2027, 11, 26)
    assert p.outcome is Outcome.AFTER_SHUTDOWN
    assert p.horizon_end == SHUTDOWN
    assert round(p.net_saving_at_horizon, 2) == -0.78
    sentence = costs.verdict(p)
    assert "2027-11-26" in sentence and "2027-01-14" in sentence and "$0.78" in sentence


def test_break_even_after_the_horizon_but_before_the_shutdown():
    # 10,000 calls a month: 12,000 calls = 1.2 months -> 2026-12-26 + ceil(0.2 x 31 days) = 2027-01-02,
    # after a 1-month horizon (2026-12-26) but before the shutdown. At the horizon: $0.75 - $0.90 = -$0.15.
    p = costs.project(scenario(calls_per_month=10_000, horizon_months=1))
    assert p.break_even_date == dt.date(2027, 1, 2)
    assert p.outcome is Outcome.NOT_BY_HORIZON
    assert p.horizon_end == dt.date(2026, 12, 26) and not p.horizon_capped
    assert round(p.net_saving_at_horizon, 2) == -0.15


def test_break_even_exactly_on_the_horizon_pays_off_at_zero():
    # 12,000 calls a month repay $0.90 in exactly one month: on the horizon day, net $0.00.
    p = costs.project(scenario(calls_per_month=12_000, horizon_months=1))
    assert p.break_even_date == dt.date(2026, 12, 26) == p.horizon_end
    assert p.outcome is Outcome.PAYS_OFF
    assert p.net_saving_at_horizon == pytest.approx(0, abs=1e-12)


def test_cached_input_share():
    # Half of the base model's 1,500 input tokens cached: 750 x $0.15 + 750 x $0.075 = $0.00016875,
    # + $0.00012 output = $0.00028875.
    p = costs.project(scenario(base_cached_share=0.5))
    assert p.base_call.cost == pytest.approx(0.00028875, abs=1e-15)
    assert p.base_call.cached_input_tokens == 750
    assert p.saving_per_call == pytest.approx(0.00001875, abs=1e-15)
    assert p.break_even_calls == 48_000  # $0.90 / $0.00001875


def test_a_model_without_cached_prices_bills_cached_tokens_at_the_input_price():
    legacy = catalog.load_catalog().resolve("gpt-3.5-turbo-0125")
    assert legacy.base.cached_input is None
    full = costs.call_cost(1_000, 0, input_per_1m=legacy.base.input, output_per_1m=legacy.base.output)
    cached = costs.call_cost(1_000, 0, input_per_1m=legacy.base.input, output_per_1m=legacy.base.output,
                             cached_input_per_1m=legacy.base.cached_input, cached_share=1.0)
    assert cached.cost == full.cost


def test_message_tokens_are_sent_to_both_models():
    # +50 message tokens: base +50 x $0.15/1M, fine-tuned +50 x $0.30/1M -> saving falls by $0.0000075.
    p = costs.project(scenario(message_tokens=50))
    assert p.base_call.input_tokens == 1_550 and p.fine_tuned_call.input_tokens == 150
    assert p.saving_per_call == pytest.approx(0.0000675, abs=1e-15)


def test_auto_epochs_are_estimated_and_flagged():
    # 100 examples x 3 = 300 >= 100 -> 3 epochs; 20 examples -> 100 // 20 = 5 epochs (cookbook rule).
    assert costs.training_cost(100_000, None, 3.00, examples=100).epochs == 3
    small = costs.training_cost(100_000, None, 3.00, examples=20)
    assert small.epochs == 5 and small.epochs_is_estimate
    assert small.cost == pytest.approx(1.50)
    p = costs.project(scenario(epochs=None, examples=20))
    assert p.training.epochs_is_estimate and p.training.cost == pytest.approx(1.50)
    with pytest.raises(CostInputError, match="number of training examples"):
        costs.training_cost(100_000, None, 3.00)


def test_validation_tokens_are_not_an_input():
    # Validation files are free: nothing in the scenario bills them, so a scenario has no such field.
    assert "validation" not in " ".join(f for f in Scenario.__dataclass_fields__)


def test_zero_training_price_breaks_even_at_once():
    p = costs.project(scenario(price_overrides={"training": 0}))
    assert p.training.cost == 0 and p.break_even_calls == 0 and p.break_even_date == START
    assert p.outcome is Outcome.PAYS_OFF


def test_start_on_or_after_the_shutdown_is_refused():
    with pytest.raises(CostInputError, match="shuts down on 2027-01-14"):
        costs.project(scenario(start_date=SHUTDOWN))


# ---------------------------------------------------------------- price overrides
def test_price_sheet_reports_overrides_with_catalog_figures():
    sheet = costs.price_sheet(MINI, {"training": 2.5, "base_input": 0.15})
    assert sheet.overridden == ("training",)  # equal to the catalog is no override
    assert sheet["training"].value == 2.5 and sheet["training"].catalog_value == 3.00
    assert sheet["base_output"].as_of == catalog.load_catalog().resolve(MINI).base.as_of
    assert sheet["fine_tuned_input"].source.startswith("https://")
    # 100,000 x 3 x $2.50 = $0.75
    assert costs.project(scenario(price_overrides={"training": 2.5})).training.cost == pytest.approx(0.75)


def test_overridden_inference_prices_change_the_answer():
    # Fine-tuned input at $0.15 (the base price): short call = $0.000015 + $0.00024 = $0.000255.
    p = costs.project(scenario(price_overrides={"fine_tuned_input": 0.15}))
    assert p.fine_tuned_call.cost == pytest.approx(0.000255, abs=1e-15)
    assert p.prices.overridden == ("fine_tuned_input",)


def test_doubtful_catalog_figures_are_flagged():
    gpt4o = catalog.load_catalog().resolve("gpt-4o-2024-08-06")
    batch = {f.key: f for f in costs.batch_price_figures(gpt4o)}
    assert batch["fine_tuned_batch_input"].doubtful and "50%" in batch["fine_tuned_batch_input"].doubt
    assert not any(f.doubtful for f in costs.batch_price_figures(MINI))


@pytest.mark.parametrize("overrides, message", [
    ({"training": -1}, "cannot be negative"),
    ({"training": 5_000}, "implausibly large"),
    ({"training": "cheap"}, "must be a number"),
    ({"hosting": 1.0}, "no price called 'hosting'"),
])
def test_bad_price_overrides(overrides, message):
    with pytest.raises(CostInputError, match=message):
        costs.price_sheet(MINI, overrides)


# ---------------------------------------------------------------- input validation
@pytest.mark.parametrize("changes, message", [
    ({"billed_tokens_per_epoch": -5}, "Billed tokens per epoch cannot be negative"),
    ({"billed_tokens_per_epoch": 0}, "must be more than zero: an empty dataset"),
    ({"billed_tokens_per_epoch": 10**13}, "implausibly large"),
    ({"billed_tokens_per_epoch": "lots"}, "must be a number, not 'lots'"),
    ({"billed_tokens_per_epoch": None}, "must be a number"),
    ({"billed_tokens_per_epoch": True}, "must be a number"),
    ({"billed_tokens_per_epoch": 1.5}, "whole number"),
    ({"billed_tokens_per_epoch": float("nan")}, "finite"),
    ({"calls_per_month": 0}, "with no calls, fine-tuning can never pay back"),
    ({"calls_per_month": 10**11}, "implausibly large"),
    ({"epochs": 0}, "Epochs must be at least 1"),
    ({"epochs": 51}, "implausibly large"),
    ({"base_prompt_tokens": 0}, "nothing for fine-tuning to shorten"),
    ({"output_tokens": -1}, "cannot be negative"),
    ({"base_cached_share": 1.5}, "implausibly large"),
    ({"horizon_months": 0}, "at least 1"),
    ({"horizon_months": 121}, "implausibly large"),
    ({"examples": 200_000}, "cannot fit in 100,000 billed tokens"),
    ({"start_date": "tomorrow"}, "must be a date"),
    ({"start_date": dt.date(1999, 1, 1)}, "more than ten years"),
    ({"model": "gpt-9"}, "no model called 'gpt-9'"),
])
def test_bad_inputs_raise_one_clear_sentence(changes, message):
    with pytest.raises(CostInputError, match=message) as info:
        scenario(**changes)
    text = str(info.value)
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text


def test_scenario_normalises_the_model_name():
    assert scenario(model="gpt-4o-mini").model == MINI


# ---------------------------------------------------------------- calendar months
def test_calendar_month_helpers():
    assert costs.add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert costs.add_months(dt.date(2027, 1, 31), 2) == dt.date(2027, 3, 31)
    assert costs.months_between(START, dt.date(2027, 11, 26)) == 12
    assert costs.months_between(START, SHUTDOWN) == Fraction(50, 31)
    assert costs.date_after_months(START, Fraction(50, 31)) == SHUTDOWN
    assert costs.date_after_months(START, 12) == dt.date(2027, 11, 26)


# ---------------------------------------------------------------- over time
def test_cumulative_costs_start_at_training_and_flag_the_impossible_part():
    p = costs.project(scenario(calls_per_month=1_000))
    points = costs.cumulative_costs(p)
    first = points[0]
    assert first.date == START and first.base_cost == 0 and first.fine_tuned_cost == pytest.approx(0.90)
    assert [pt.date for pt in points] == sorted(pt.date for pt in points)
    assert SHUTDOWN in [pt.date for pt in points]
    assert all(pt.after_shutdown == (pt.date > SHUTDOWN) for pt in points)
    # The chart runs just past the (late) break-even so the user sees where it would have come.
    assert points[-1].date == costs.timeline_end(p) == dt.date(2027, 11, 26)  # capped at the 12-month horizon
    crossing = next(pt for pt in points if pt.date == p.break_even_date)
    assert crossing.base_cost == pytest.approx(crossing.fine_tuned_cost)


def test_timeline_of_an_early_break_even_ends_soon_after_the_shutdown():
    p = costs.project(scenario())
    end = costs.timeline_end(p)
    assert SHUTDOWN < end < dt.date(2027, 2, 28)


# ---------------------------------------------------------------- what it would take
def test_pay_off_thresholds_are_exact():
    # By the shutdown (50/31 months): calls a month >= $0.90 / ($0.000075 x 50/31) = 7,440 exactly.
    need = costs.pay_off_thresholds(scenario(calls_per_month=1_000))
    assert need.min_calls_per_month == 7_440
    assert costs.project(scenario(calls_per_month=7_440)).pays_off
    assert not costs.project(scenario(calls_per_month=7_439)).pays_off
    # At 100,000 calls a month the prompt must shrink by at least 1,169 tokens (to 331).
    need = costs.pay_off_thresholds(scenario(fine_tuned_prompt_tokens=1_000))
    assert need.min_tokens_saved_per_call == 1_169
    assert costs.project(scenario(fine_tuned_prompt_tokens=331)).pays_off
    assert not costs.project(scenario(fine_tuned_prompt_tokens=332)).pays_off


def test_pay_off_thresholds_out_of_reach():
    # 10 calls a month: even an empty fine-tuned prompt cannot repay training before the shutdown.
    need = costs.pay_off_thresholds(scenario(calls_per_month=10))
    assert need.min_tokens_saved_per_call is None
    # A fine-tuned call dearer than a base call: no volume helps.
    assert costs.pay_off_thresholds(scenario(fine_tuned_prompt_tokens=1_000)).min_calls_per_month is None


# ---------------------------------------------------------------- all models
def test_comparison_over_all_trainable_models():
    s = scenario(price_overrides={"training": 1.0})
    comparison = costs.compare_models(s, today=START)
    ids = [p.model_id for p in comparison.projections]
    assert ids == [m.id for m in catalog.load_catalog().trainable(START)]
    assert set(ids) == {MINI, "gpt-4.1-mini-2025-04-14", "gpt-4o-2024-08-06", "gpt-4.1-2025-04-14"}
    by_id = {p.model_id: p for p in comparison.projections}
    # Overrides stay with their model: gpt-4o-mini at $1.00 -> $0.30; gpt-4o at the catalog's $25 -> $7.50.
    assert by_id[MINI].training.cost == pytest.approx(0.30)
    assert by_id["gpt-4o-2024-08-06"].training.cost == pytest.approx(7.50)
    assert by_id["gpt-4o-2024-08-06"].prices.overridden == ()
    rows = costs.comparison_table(comparison)
    assert [r["Model id"] for r in rows] == ids and rows[0]["Outcome"] == "pays off"
    assert not comparison.skipped


def test_comparison_after_the_cut_off_is_empty():
    assert costs.compare_models(scenario(), today=catalog.load_catalog().no_new_jobs_from).projections == ()


# ---------------------------------------------------------------- sensitivity
def test_sensitivity_to_prompt_savings():
    s = costs.sensitivity_to_prompt_savings(scenario())
    xs = [pt.x for pt in s.points]
    assert xs[0] == 0 and xs[-1] == 1_500 and 1_400 in xs and s.current == 1_400
    assert s.points[0].outcome is Outcome.NEVER  # nothing saved: only the premium is left
    months = [pt.months_to_break_even for pt in s.points if pt.months_to_break_even is not None]
    assert months == sorted(months, reverse=True)  # more tokens saved, sooner break-even
    here = next(pt for pt in s.points if pt.x == 1_400)
    assert here.break_even_calls == 12_000
    assert s.months_until_shutdown == pytest.approx(50 / 31)


def test_sensitivity_to_volume():
    s = costs.sensitivity_to_volume(scenario())
    xs = [pt.x for pt in s.points]
    assert xs[0] == 10_000 and xs[-1] == 1_000_000 and 100_000 in xs
    for pt in s.points:  # break-even months = 12,000 calls / volume
        assert pt.months_to_break_even == pytest.approx(12_000 / pt.x)


# ---------------------------------------------------------------- handoff, tokens
def test_prefill_from_a_checked_dataset():
    summary = DatasetSummary(name="support.jsonl", sha256="0" * 64, model="gpt-4o-mini", format="chat",
                             examples=500, total_tokens=260_000, billed_tokens_per_epoch=250_000, n_epochs=3,
                             n_epochs_is_estimate=True, median_system_tokens=60, median_prompt_tokens=100,
                             median_assistant_tokens=120)
    values = costs.prefill_from_dataset(summary, today=START)
    assert values == {"billed_tokens_per_epoch": 250_000, "examples": 500, "epochs": None,
                      "fine_tuned_prompt_tokens": 60, "message_tokens": 40, "output_tokens": 120, "model": MINI}
    # median_prompt_tokens includes the system prompt: 100 - 60 = 40 message tokens.
    legacy = replace(summary, model="gpt-3.5-turbo", n_epochs=4, n_epochs_is_estimate=False)
    values = costs.prefill_from_dataset(legacy, today=START)
    assert "model" not in values and values["epochs"] == 4


def test_count_prompt_tokens_uses_the_model_tokenizer():
    assert costs.count_prompt_tokens("hello world", MINI) == 2
    with pytest.raises(CostInputError, match="characters long"):
        costs.count_prompt_tokens("x" * (costs.MAX_PASTED_PROMPT_CHARS + 1), MINI)


def test_usd_formatting():
    assert costs.usd(0.9) == "$0.90" and costs.usd(-0.779) == "-$0.78" and costs.usd(1234.5) == "$1,234.50"
    assert costs.usd(0.000075) == "$0.000075" and costs.usd(0) == "$0.00"


# ---------------------------------------------------------------- export
def test_url_params_round_trip():
    s = scenario(epochs=None, base_cached_share=0.25, message_tokens=30, price_overrides={"training": 2.5})
    params = costs.scenario_to_params(s)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert params["calls"] == "100000" and params["epochs"] == "auto" and params["cache_pct"] == "25"
    assert params["start"] == "2026-11-26" and params["price_training"] == "2.5"
    assert costs.scenario_from_params(params, scenario()) == s


def test_url_params_partial_and_unknown():
    base = scenario()
    s = costs.scenario_from_params({"calls": "1,000", "utm_source": "mail", "model": ["gpt-4o", "gpt-4o-mini"]},
                                   base)
    assert s.calls_per_month == 1_000 and s.model == MINI and s.output_tokens == base.output_tokens


@pytest.mark.parametrize("params, message", [
    ({"calls": "abc"}, "Calls per month must be a number, not 'abc'"),
    ({"calls": "-5"}, "cannot be negative"),
    ({"calls": "0"}, "more than zero"),
    ({"tokens": "1e15"}, "implausibly large"),
    ({"start": "2026-13-01"}, "is not a date like"),
    ({"cache_pct": "150"}, "percentage from 0 to 100"),
    ({"epochs": "many"}, "Epochs must be a number"),
    ({"price_training": "free"}, "must be a number"),
    ({"model": "gpt-2"}, "no model called"),
])
def test_bad_url_params(params, message):
    with pytest.raises(CostInputError, match=message):
        costs.scenario_from_params(params, scenario())


def test_scenario_csv():
    s = scenario(price_overrides={"training": 2.5})
    p = costs.project(s)
    rows = list(csv.DictReader(io.StringIO(costs.scenario_csv(s, p))))
    table = {(r["section"], r["item"]): r for r in rows}
    assert table[("input", "calls_per_month")]["value"] == "100000"
    assert table[("input", "start_date")]["value"] == "2026-11-26"
    assert table[("price_per_1m_usd", "training")]["note"].startswith("overridden; catalog 3.0")
    assert table[("result", "training_cost_usd")]["value"] == "0.75"
    assert table[("result", "break_even_calls")]["value"] == str(math.ceil(0.75 / 0.000075))
    assert table[("result", "break_even_date")]["note"] == "pays_off"


# ---------------------------------------------------------------- figures
def test_cumulative_chart_marks_break_even_and_shutdown():
    p = costs.project(scenario(calls_per_month=1_000))
    fig = charts.cumulative_cost_chart(p, costs.cumulative_costs(p))
    names = [t.name for t in fig.data]
    assert "Base model, long prompt" in names and "Fine-tuned, short prompt (incl. training)" in names
    assert any("after shutdown (hypothetical)" in n for n in names)
    marker = next(t for t in fig.data if t.name == "Break-even")
    assert str(marker.x[0]) == "2027-11-26" and marker.marker.symbol == "x"
    assert any(a.text == "break-even 2027-11-26 (too late)" for a in fig.layout.annotations)
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert any(str(s.x0) == "2027-01-14" for s in lines)
    assert any("shuts down 2027-01-14" in a.text for a in fig.layout.annotations)


def test_cumulative_chart_without_reachable_break_even():
    p = costs.project(scenario(fine_tuned_prompt_tokens=1_000))
    fig = charts.cumulative_cost_chart(p, costs.cumulative_costs(p))
    assert "Break-even" not in [t.name for t in fig.data]


def test_comparison_bars_colour_gains_and_losses():
    fig = charts.model_comparison_chart(costs.compare_models(scenario(calls_per_month=1_000), today=START))
    bar = fig.data[0]
    assert list(bar.x) == ["GPT-4o mini", "GPT-4.1 mini", "GPT-4o", "GPT-4.1"]
    assert all(y < 0 for y in bar.y) and set(bar.marker.color) == {charts.COLORS["limit"]}
    fig = charts.model_comparison_chart(costs.compare_models(scenario(), today=START))
    assert set(fig.data[0].marker.color) == {charts.COLORS["fine_tuned"]}


def test_sensitivity_chart_leaves_gaps_where_it_never_pays():
    fig = charts.sensitivity_chart(costs.sensitivity_to_prompt_savings(scenario()))
    assert fig.data[0].y[0] is None and fig.data[0].y[-1] is not None
    assert fig.layout.yaxis.type == "log"
    assert any("shutdown" in a.text for a in fig.layout.annotations)
    assert any(a.text == "never pays" for a in fig.layout.annotations)
    volume = charts.sensitivity_chart(costs.sensitivity_to_volume(scenario()))
    assert volume.layout.xaxis.type == "log"


def test_cumulative_chart_names_a_break_even_beyond_its_end():
    # 100 calls a month: 12,000 calls take 120 months, far past the 12-month chart.
    p = costs.project(scenario(calls_per_month=100))
    fig = charts.cumulative_cost_chart(p, costs.cumulative_costs(p))
    assert any("2036-11-26 (off the chart)" in a.text for a in fig.layout.annotations)


def test_prefill_from_the_real_validator_builds_a_valid_scenario():
    # The handoff contract with its producer: a real file through lib/validate into a projection.
    from lib import validate
    from tests.conftest import real_file

    summary = validate.validate_path(real_file("02_cookbook_drone_training.jsonl"), model="gpt-4o-mini").summary()
    values = costs.prefill_from_dataset(summary, today=START)
    assert values["message_tokens"] == summary.median_prompt_tokens - summary.median_system_tokens
    p = costs.project(replace(scenario(), **values))
    assert p.training.billed_tokens_per_epoch == summary.billed_tokens_per_epoch
    assert p.training.epochs == summary.n_epochs and p.training.epochs_is_estimate
