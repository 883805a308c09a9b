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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import catalog, costs
from lib.charts import costs as charts
from lib.costs import CostInputError, Outcome, Scenario
from tests.factories import FAR_AWAY_LINK, dataset_summary, measured_usage

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
    values = dict(
        model=MINI,
        billed_tokens_per_epoch=100_000,
        examples=100,
        epochs=3,
        base_prompt_tokens=1_500,
        fine_tuned_prompt_tokens=100,
        output_tokens=200,
        calls_per_month=100_000,
        start_date=START,
        horizon_months=12,
    )
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
    same = scenario(
        fine_tuned_prompt_tokens=1_500,
        price_overrides={"fine_tuned_input": 0.15, "fine_tuned_cached_input": 0.075, "fine_tuned_output": 0.60},
    )
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
    cached = costs.call_cost(
        1_000,
        0,
        input_per_1m=legacy.base.input,
        output_per_1m=legacy.base.output,
        cached_input_per_1m=legacy.base.cached_input,
        cached_share=1.0,
    )
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


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"training": -1}, "cannot be negative"),
        ({"training": 5_000}, "implausibly large"),
        ({"training": "cheap"}, "must be a number"),
        ({"hosting": 1.0}, "no price called 'hosting'"),
    ],
)
def test_bad_price_overrides(overrides, message):
    with pytest.raises(CostInputError, match=message):
        costs.price_sheet(MINI, overrides)


# ---------------------------------------------------------------- input validation
@pytest.mark.parametrize(
    "changes, message",
    [
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
    ],
)
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
    summary = dataset_summary()
    values = costs.prefill_from_dataset(summary, today=START)
    assert values == {
        "billed_tokens_per_epoch": 250_000,
        "examples": 500,
        "epochs": None,
        "fine_tuned_prompt_tokens": 60,
        "message_tokens": 40,
        "output_tokens": 120,
        "model": MINI,
        "method": "supervised",
    }
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
    s = costs.scenario_from_params({"calls": "1,000", "utm_source": "mail", "model": ["gpt-4o", "gpt-4o-mini"]}, base)
    assert s.calls_per_month == 1_000 and s.model == MINI and s.output_tokens == base.output_tokens


@pytest.mark.parametrize(
    "params, message",
    [
        ({"calls": "abc"}, "Calls per month must be a number, not 'abc'"),
        ({"calls": "-5"}, "cannot be negative"),
        ({"calls": "0"}, "more than zero"),
        ({"tokens": "1e15"}, "implausibly large"),
        ({"start": "2026-13-01"}, "is not a date like"),
        ({"cache_pct": "150"}, "percentage from 0 to 100"),
        ({"epochs": "many"}, "Epochs must be a number"),
        ({"price_training": "free"}, "must be a number"),
        ({"model": "gpt-2"}, "no model called"),
    ],
)
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


# ---------------------------------------------------------------- issue 12: defects of the numbers
def test_a_break_even_past_the_year_9999_is_never_not_a_crash():
    # The old code crashed computing this link's break-even date ("year 57582 is out of range").
    s = costs.scenario_from_params(FAR_AWAY_LINK, costs.default_scenario(START))
    p = costs.project(s)
    assert p.training.cost == pytest.approx(90.0) and p.saving_per_call == pytest.approx(0.000135)
    assert p.break_even_calls == 666_667 and p.break_even_date is None
    assert p.outcome is Outcome.AFTER_SHUTDOWN
    text = costs.verdict(p)
    assert "more than 10 years of calls" in text and "by the shutdown you would be $90.00 down." in text
    # The charts and tables around it draw too.
    charts.cumulative_cost_chart(p, costs.cumulative_costs(p))
    assert costs.comparison_table(costs.compare_models(s, START))[0]["Break-even date"] is None


def test_the_prompt_savings_sensitivity_survives_a_far_break_even():
    # With calls=10 the cards drew, then this chart crashed on one of its variants.
    s = costs.scenario_from_params(FAR_AWAY_LINK | {"calls": "10"}, costs.default_scenario(START))
    for sensitivity in (costs.sensitivity_to_prompt_savings(s), costs.sensitivity_to_volume(s)):
        assert all(pt.months_to_break_even is None or pt.months_to_break_even > 0 for pt in sensitivity.points)
        charts.sensitivity_chart(sensitivity)


def test_a_break_even_just_inside_ten_years_keeps_its_date():
    # 12,000 calls at 100 a month: 120 months exactly, the last month the model still dates.
    p = costs.project(
        scenario(calls_per_month=100, start_date=START, shutdown_date=dt.date(2040, 1, 1), horizon_months=120)
    )
    assert p.break_even_date == dt.date(2036, 11, 26) and p.outcome is Outcome.PAYS_OFF
    p = costs.project(scenario(calls_per_month=99, shutdown_date=dt.date(2040, 1, 1), horizon_months=120))
    assert p.break_even_date is None and p.outcome is Outcome.NOT_BY_HORIZON
    assert "more than 10 years from the start" in costs.verdict(p)


@pytest.mark.parametrize(
    "amount, text",
    [
        (0.00000015, "$0.00000015"),
        (0.0000001234, "$0.000000123"),
        (0.000075, "$0.000075"),
        (0.0042, "$0.0042"),
        (-0.00000015, "-$0.00000015"),
        (0.01, "$0.01"),
        (12_345.678, "$12,345.68"),
        (0, "$0.00"),
    ],
)
def test_usd_never_prints_a_bare_dollar_zero(amount, text):
    assert costs.usd(amount) == text


def test_tiny_per_call_amounts_read_per_million_calls():
    assert costs.usd_per_call(0.00000015) == "$0.00000015 a call ($0.15 per million calls)"
    assert costs.usd_per_call(0.000075) == "$0.000075 a call ($0.075 per 1,000 calls)"
    assert costs.usd_per_call(0.02) == "$0.02 a call"
    assert costs.usd_per_1m(3) == "$3.00 per 1M tokens" and costs.usd_per_1m(0.075) == "$0.075 per 1M tokens"
    assert costs.usd_price(2.225) == "$2.225" and costs.usd_price(None) == "none"
    with pytest.raises(ValueError, match="amount"):
        costs.usd(float("nan"))


def test_a_tiny_saving_is_shown_with_its_digits():
    # 1 prompt token saved on gpt-4o-mini: base 2 x $0.15 = $0.0000003, fine-tuned 1 x $0.30 = $0.0000003 ->
    # nothing; with a 3-token prompt cut to 1: 3 x 0.15 - 1 x 0.30 = $0.00000015 a call (the "$0.").
    p = costs.project(scenario(base_prompt_tokens=3, fine_tuned_prompt_tokens=1, output_tokens=0))
    assert p.saving_per_call == pytest.approx(0.00000015, abs=1e-18)
    assert costs.usd(p.saving_per_call) == "$0.00000015"


def test_dpo_training_says_what_it_counted_and_that_it_is_an_estimate():
    dpo = costs.project(scenario(method="dpo"))
    assert dpo.training.cost == costs.project(scenario()).training.cost  # the same tokens, the same price
    assert "prompt plus the preferred answer" in dpo.training.counted and "estimate" in dpo.training.counted
    assert "preferred" not in costs.project(scenario()).training.counted
    rows = list(csv.reader(io.StringIO(costs.scenario_csv(scenario(method="dpo"), dpo))))
    assert any(r[1] == "training_cost_usd" and "prompt plus the preferred answer" in r[3] for r in rows)
    summary = dataset_summary(name="pairs.jsonl", model="gpt-4.1-mini", format="dpo")
    assert costs.prefill_from_dataset(summary, today=START)["method"] == "dpo"
    with pytest.raises(CostInputError, match="training method"):
        scenario(method="rft")


def test_a_loss_names_the_date_it_is_for():
    # 1,000 calls a month, a one-month horizon: by 2026-12-26, 1,000 calls x $0.000075 - $0.90 = -$0.825;
    # by the shutdown, 50/31 months = 1,612.9 calls -> $0.121 - $0.90 = -$0.779. The old verdict gave the
    # horizon's loss as "you would lose"; the loss by the shutdown is smaller, and both are dated now.
    p = costs.project(scenario(calls_per_month=1_000, horizon_months=1))
    assert p.outcome is Outcome.AFTER_SHUTDOWN
    assert round(p.net_saving_at_horizon, 3) == -0.825
    assert round(p.net_saving_by_shutdown, 3) == -0.779
    assert "by the shutdown you would be $0.78 down ($0.83 by the end of your horizon, 2026-12-26)" in costs.verdict(p)
    # A horizon cut at the shutdown gives one figure, the shutdown's.
    long = costs.project(scenario(calls_per_month=1_000))
    assert "by the shutdown you would be $0.78 down." in costs.verdict(long)


def test_every_figure_names_its_source_and_date():
    p = costs.project(scenario())
    used = costs.sources_used(p)
    urls = {d.source for d in used}
    cat = catalog.load_catalog()
    assert "https://developers.openai.com/api/docs/pricing" in urls and cat.sources["litellm"] in urls
    assert all(d.as_of for d in used)
    assert [d.value for d in used] == ["training price and fine-tuned prices", "base-model prices", "shutdown date"]
    # Overridden prices are the user's: they name no catalog source.
    mine = costs.project(scenario(price_overrides={"training": 1.0}))
    assert [d.value for d in costs.sources_used(mine)] == ["base-model prices", "fine-tuned prices", "shutdown date"]
    row = costs.comparison_table(costs.compare_models(scenario(), START))[0]
    assert row["Prices as of"] == "2026-11-26" and "Training (estimate)" in row and row["Net by"] == SHUTDOWN


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(input_tokens=-1, output_tokens=10), "input_tokens"),
        (dict(input_tokens=float("nan"), output_tokens=10), "input_tokens"),
        (dict(input_tokens=10, output_tokens=-5), "output_tokens"),
        (dict(input_tokens=10, output_tokens=float("inf")), "output_tokens"),
        (dict(input_tokens="10", output_tokens=1), "input_tokens"),
        (dict(input_tokens=10, output_tokens=1, cached_share=1.5), "cached_share"),
    ],
)
def test_call_cost_refuses_what_cannot_be(kwargs, name):
    with pytest.raises(ValueError, match=name):
        costs.call_cost(**kwargs, input_per_1m=0.15, output_per_1m=0.60)
    with pytest.raises(ValueError, match="input_per_1m"):
        costs.call_cost(1, 1, input_per_1m=-0.15, output_per_1m=0.60)


@pytest.mark.parametrize("n", [0, -5, 2.9, float("nan"), True, "3"])
def test_auto_epochs_refuses_what_cannot_be(n):
    with pytest.raises(ValueError, match="n_examples"):
        catalog.auto_epochs(n)


def test_one_training_formula_for_launch_jobs_and_costs():
    from openai.types.fine_tuning import FineTuningJob

    from lib import jobs, launch

    assert costs.training_charge_usd(300_000, 3.0) == pytest.approx(0.90)
    info = catalog.load_catalog().resolve(MINI)
    charge = launch.estimate_charge(info, billed_tokens_per_epoch=100_000, examples=100, n_epochs=3)
    assert charge.usd == costs.training_cost(100_000, 3, 3.0).cost
    dpo = launch.estimate_charge(info, billed_tokens_per_epoch=100_000, examples=100, method="dpo")
    assert "prompt plus the preferred answer" in dpo.formula() and "estimate" in dpo.formula()
    report = jobs.job_cost(FineTuningJob.construct(model=MINI, trained_tokens=300_000))  # the SDK's job type
    assert report.actual_usd == costs.training_charge_usd(300_000, 3.0)
    with pytest.raises(ValueError, match="trained_tokens"):
        costs.training_charge_usd(-1, 3.0)


# ---------------------------------------------------------------- Azure: base rate plus hosting
# gpt-4.1-mini on Azure: a fine-tune bills the base rate ($0.40 in, $1.60 out per 1M); hosting $1.70 an hour.
# 600,000 billed tokens x 3 epochs x $5.00 (OpenAI's list price, prefilled) = $9.00 of training.
# Base call: 2,000 x $0.40 + 250 x $1.60 = $0.0012; fine-tuned: 500 x $0.40 + 250 x $1.60 = $0.0006;
# the saving, $0.0006 a call. Hosting: $1.70 x 720 hours (the catalog's month) = $1,224.00 a month, which
# needs 1,224 / 0.0006 = 2,040,000 calls a month just to pay the hosting.
MINI41 = "gpt-4.1-mini-2025-04-14"
AZURE_SHUTDOWN = dt.date(2027, 10, 14)


def azure(**changes) -> Scenario:
    """The Azure worked example above: :func:`scenario`'s 3 epochs from the same start, other figures."""
    values = dict(
        model=MINI41,
        billed_tokens_per_epoch=600_000,
        examples=400,
        base_prompt_tokens=2_000,
        fine_tuned_prompt_tokens=500,
        output_tokens=250,
        calls_per_month=3_000_000,
        backend="azure",
        deployment_type="standard",
        hosting_usd_per_hour=1.70,
        hosting_hours_per_day=24,
        shutdown_date=AZURE_SHUTDOWN,
    )
    return scenario(**(values | changes))


def test_azure_bills_the_base_rate_plus_hosting_to_the_cent():
    assert costs.hosting_hours_per_month() == 720  # catalog data; the figures below assume it
    p = costs.project(azure())
    assert p.training.cost == pytest.approx(9.00)
    assert p.base_call.cost == pytest.approx(0.0012, abs=1e-15)
    assert p.fine_tuned_call.cost == pytest.approx(0.0006, abs=1e-15)  # no fine-tuned premium on Azure
    assert p.hosting_per_month == pytest.approx(1_224.00, abs=1e-9)
    assert p.hosting_needs_calls_per_month == 2_040_000
    # 3,000,000 calls a month save $1,800, $576 a month over the hosting: $9.00 / $576 = 0.015625 months
    # = 46,875 calls exactly; 0.015625 of the 30-day month to 2026-12-26 is 0.47 days -> 2026-11-27.
    assert p.break_even_calls == 46_875 and p.break_even_date == dt.date(2026, 11, 27)
    assert p.outcome is Outcome.PAYS_OFF
    # Net by Azure's shutdown (the 12-month horizon is cut there): 10 months to 2027-09-26 + 18/30 = 10.6
    # months x $576 - $9.00 = $6,096.60.
    assert p.horizon_end == AZURE_SHUTDOWN and round(p.net_saving_at_horizon, 2) == 6_096.60
    assert "2.0 million calls a month just to pay the hosting" in costs.hosting_text(p)
    # The timeline carries the hosting: after one month, $9.00 + 3,000,000 x $0.0006 + $1,224.
    month = next(pt for pt in costs.cumulative_costs(p) if pt.date == dt.date(2026, 12, 26))
    assert month.fine_tuned_cost == pytest.approx(9.00 + 1_800 + 1_224)
    assert month.base_cost == pytest.approx(3_600)


def test_azure_hosting_that_never_pays_back():
    # 2,000,000 calls save $1,200 a month, $24 short of the $1,224 of hosting: it never pays, whatever the
    # horizon. By the shutdown: 10.6 months x -$24 - $9.00 = -$263.40.
    p = costs.project(azure(calls_per_month=2_000_000))
    assert p.outcome is Outcome.HOSTING and p.break_even_calls is None and p.break_even_date is None
    assert round(p.net_saving_at_horizon, 2) == -263.40
    text = costs.verdict(p)
    assert "hosting alone outweighs the saving" in text and "needs 2.0 million calls a month" in text
    assert "$1,200.00 a month against $1,224.00 of hosting" in text and "$263.40 down" in text
    need = costs.pay_off_thresholds(azure(calls_per_month=2_000_000))
    # By 2027-10-14 (10.6 months): calls x $0.0006 >= $9.00 / 10.6 + $1,224 -> 2,041,415.1 -> 2,041,416.
    assert need.min_calls_per_month == 2_041_416
    assert costs.project(azure(calls_per_month=need.min_calls_per_month)).pays_off
    assert not costs.project(azure(calls_per_month=need.min_calls_per_month - 1)).pays_off


def test_azure_hosting_scales_with_hours_deployed_and_is_free_off_azure():
    half = costs.project(azure(hosting_hours_per_day=12, calls_per_month=2_000_000))
    assert half.hosting_per_month == pytest.approx(612.00) and half.hosting_needs_calls_per_month == 1_020_000
    assert half.pays_off
    openai = costs.project(azure(backend="openai", shutdown_date=None))
    assert openai.hosting_per_month == 0 and openai.shutdown_date == dt.date(2027, 1, 14)
    assert openai.fine_tuned_call.cost == pytest.approx(500 * 0.8e-6 + 250 * 3.2e-6)  # OpenAI's premium
    developer = costs.project(azure(hosting_usd_per_hour=0, deployment_type="developer"))
    assert developer.hosting_per_month == 0 and developer.hosting_needs_calls_per_month is None


def test_azure_training_price_is_openais_list_price_marked_so():
    sheet = costs.price_sheet(MINI41, backend="azure")
    assert sheet.value("training") == 5.0 and "Azure publishes no per-model training price" in sheet["training"].note
    assert sheet.value("fine_tuned_input") == 0.4 and "base model's rate" in sheet["fine_tuned_input"].note
    mine = costs.price_sheet(MINI41, {"training": 4.0}, backend="azure")
    assert mine["training"].overridden and mine["training"].note == ""


def test_azure_scenarios_round_trip_through_the_link():
    s = azure(hosting_hours_per_day=8)
    params = costs.scenario_to_params(s)
    assert params["backend"] == "azure" and params["hosting"] == "1.7" and params["hours"] == "8"
    back = costs.scenario_from_params(params, replace(costs.default_scenario(START), shutdown_date=AZURE_SHUTDOWN))
    assert (back.backend, back.hosting_usd_per_hour, back.hosting_hours_per_day) == ("azure", 1.7, 8)
    assert "hosting" not in costs.scenario_to_params(scenario())
    with pytest.raises(CostInputError, match="backend"):
        costs.scenario_from_params({"backend": "gcp"}, costs.default_scenario(START))
    with pytest.raises(CostInputError, match="(?i)hours a day"):
        azure(hosting_hours_per_day=25)


def test_the_hosting_chart_says_when_hosting_outweighs_the_saving():
    p = costs.project(azure(calls_per_month=2_000_000))
    fig = charts.cumulative_cost_chart(p, costs.cumulative_costs(p))
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "hosting alone outweighs the saving: it needs 2.0 million calls a month" in texts
    assert any("incl. training and hosting" in t.name for t in fig.data)
    assert "GPT-4.1 mini deployments stop 2027-10-14" in texts  # Azure's date, said as Azure means it
    volume = charts.sensitivity_chart(costs.sensitivity_to_volume(azure(calls_per_month=2_000_000)))
    texts = " ".join(a.text for a in volume.layout.annotations)
    assert "hosting alone needs 2.0 million calls a month" in texts and "hosting outweighs the saving" in texts


# ---------------------------------------------------------------- measured usage from Evaluate
def test_measured_usage_replaces_typed_guesses():
    m = measured_usage()
    assert costs.prefill_from_measured(m) == {
        "base_prompt_tokens": 1_613,
        "fine_tuned_prompt_tokens": 118,
        "message_tokens": 0,
        "output_tokens": 202,
    }
    assert costs.measured_label(m) == "measured on 40 examples (simulated)"
    assert costs.measured_label(replace(m, simulated=False, examples=1)) == "measured on 1 example"


# ---------------------------------------------------------------- property sweep of the link

_JUNK = st.sampled_from(["", "abc", "-5", "1e400", "nan", "inf", "0", "1,5", "٣", "9" * 40, "2.5", "auto", " 7 "])
_PARAM_VALUES = {
    "model": st.sampled_from([MINI, "gpt-4o", "gpt-4.1-2025-04-14", "gpt-3.5-turbo", "nope", MINI41]),
    "tokens": st.integers(0, 10**14).map(str),
    "examples": st.integers(0, 10**9).map(str),
    "epochs": st.sampled_from(["auto", "1", "3", "25", "0", "50"]),
    "prompt": st.integers(0, 3_000_000).map(str),
    "ft_prompt": st.integers(0, 3_000_000).map(str),
    "message": st.integers(0, 10**6).map(str),
    "output": st.integers(0, 2 * 10**6).map(str),
    "cache_pct": st.floats(-10, 110).map(repr),
    "ft_cache_pct": st.integers(0, 100).map(str),
    "calls": st.integers(0, 2 * 10**10).map(str),
    "start": st.dates(dt.date(2015, 1, 1), dt.date(2040, 1, 1)).map(dt.date.isoformat),
    "months": st.integers(0, 200).map(str),
    "method": st.sampled_from(["supervised", "dpo", "rft"]),
    "backend": st.sampled_from(["openai", "azure", "x"]),
    "hosting": st.floats(0, 2_000).map(repr),
    "hours": st.integers(0, 30).map(str),
    "price_training": st.one_of(st.floats(0, 2_000), st.just(float("nan"))).map(repr),
    "price_fine_tuned_output": st.floats(0, 2_000).map(repr),
}
_PARAMS = st.dictionaries(st.sampled_from(sorted(_PARAM_VALUES)), st.just(None), max_size=10).flatmap(
    lambda keys: st.fixed_dictionaries({k: st.one_of(_PARAM_VALUES[k], _JUNK) for k in keys})
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_PARAMS)
def test_any_link_gives_a_result_or_one_clear_sentence(params):
    defaults = replace(costs.default_scenario(START), hosting_usd_per_hour=1.7)
    try:
        s = costs.scenario_from_params(params, defaults)
        p = costs.project(s)
    except CostInputError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
        return
    costs.verdict(p)
    costs.hosting_text(p)
    costs.pay_off_thresholds(s)
    costs.scenario_csv(s, p)
    charts.cumulative_cost_chart(p, costs.cumulative_costs(p))
    charts.sensitivity_chart(costs.sensitivity_to_volume(s))
    charts.sensitivity_chart(costs.sensitivity_to_prompt_savings(s, steps=5))
    # The link written for the result brings the same scenario back (Azure's fields only on Azure).
    params = costs.scenario_to_params(s)
    assert costs.scenario_to_params(costs.scenario_from_params(params, defaults)) == params
