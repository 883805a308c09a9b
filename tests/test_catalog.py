"""The dated catalog: every figure sourced and dated, names resolved, deadlines as data."""

import datetime as dt
import json

import pytest

from lib import catalog
from lib.catalog import CATALOG_PATH, UnknownModelError, auto_epochs, base_model_name, encoding_for_model


def test_every_price_block_has_source_and_date():
    raw = json.loads(CATALOG_PATH.read_text())
    for model_id, spec in raw["models"].items():
        blocks = ("training", "base", "fine_tuned") if spec.get("fine_tunable", True) else ("base",)
        for block in blocks:
            if spec.get(block) is None:  # the gpt-5 family: shut down, prices not collected
                assert not spec.get("fine_tunable", True) and "2026-12-11" in spec["note"], model_id
                continue
            assert spec[block]["source"].startswith("https://"), (model_id, block)
            dt.date.fromisoformat(spec[block]["as_of"])
        for calendar, dates in spec["lifecycle"].items():
            assert dates["source"].startswith("https://"), (model_id, calendar)
            dt.date.fromisoformat(dates["as_of"])


def test_gpt_4o_mini_figures_from_the_spec():
    m = catalog.load_catalog().resolve("gpt-4o-mini")
    assert m.id == "gpt-4o-mini-2024-07-18"
    assert m.training_per_1m == 3.00
    assert (m.fine_tuned.input, m.fine_tuned.cached_input, m.fine_tuned.output) == (0.30, 0.15, 1.20)
    assert (m.base.input, m.base.cached_input, m.base.output) == (0.15, 0.075, 0.60)
    assert m.shutdown_date == dt.date(2027, 1, 14)


def test_doubtful_batch_figures_are_marked():
    m = catalog.load_catalog().resolve("gpt-4o-2024-08-06")
    assert set(m.fine_tuned_batch.doubtful) == {"input", "cached_input", "output"}
    assert "50%" in m.fine_tuned_batch.doubt


@pytest.mark.parametrize(
    "name, base",
    [
        ("ft:gpt-4.1-mini-2025-04-14:org::abc", "gpt-4.1-mini-2025-04-14"),
        ("ft:gpt-4o-mini-2024-07-18:my-org:custom:9ABel2dg:ckpt-step-88", "gpt-4o-mini-2024-07-18"),
        ("gpt-4o", "gpt-4o"),
    ],
)
def test_base_model_name(name, base):
    assert base_model_name(name) == base


@pytest.mark.parametrize(
    "name, encoding",
    [
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"),
        ("ft:gpt-4.1-mini-2025-04-14:org::abc", "o200k_base"),  # tiktoken says cl100k_base: wrong
        ("ft:gpt-4.1-mini-2025-04-14:acme:support:abc123", "o200k_base"),
        ("ft:gpt-4.1-2025-04-14:acme::abc123:ckpt-step-88", "o200k_base"),
        ("ft:gpt-4.1-nano-2025-04-14:acme::x", "o200k_base"),
        ("ft:o4-mini-2025-04-16:org::x", "o200k_base"),  # tiktoken raises KeyError
        ("gpt-3.5-turbo", "cl100k_base"),
        ("ft:gpt-3.5-turbo-0125:acme::x", "cl100k_base"),
        ("babbage-002", "cl100k_base"),
        ("ft:davinci-002:org::x", "cl100k_base"),
    ],
)
def test_encoding_for_model(name, encoding):
    assert encoding_for_model(name) == encoding


def test_unknown_model():
    with pytest.raises(UnknownModelError):
        catalog.load_catalog().resolve("gpt-9")


def test_trainable_models_respect_shutdowns_and_cutoff():
    cat = catalog.load_catalog()
    now = [m.id for m in cat.trainable(dt.date(2026, 11, 26))]
    assert set(now) == {"gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14"}
    assert cat.trainable(cat.no_new_jobs_from) == []
    assert cat.no_new_jobs_from == dt.date(2027, 1, 6)
    assert cat.retirement_date == dt.date(2027, 1, 14)


@pytest.mark.parametrize(
    "examples, epochs",
    [(1, 25), (4, 25), (5, 20), (10, 10), (20, 5), (33, 3), (8333, 3), (8334, 2), (12500, 2), (12501, 1), (100000, 1)],
)
def test_auto_epochs_matches_the_cookbook_table(examples, epochs):
    assert auto_epochs(examples) == epochs


def test_today_is_pinned_for_the_whole_suite_and_can_be_set(monkeypatch):
    from tests.conftest import PINNED_TODAY

    assert catalog.today() == dt.date.fromisoformat(PINNED_TODAY)
    monkeypatch.setenv(catalog.TODAY_ENV, "2027-01-14")
    assert catalog.today() == dt.date(2027, 1, 14)
    monkeypatch.setenv(catalog.TODAY_ENV, "")
    assert catalog.today() == dt.date.today()
    monkeypatch.setenv(catalog.TODAY_ENV, "14/01/2027")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        catalog.today()


def test_fine_tuned_names_of_both_backends_find_their_base_and_prices():
    azure_ft = "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef"
    assert catalog.base_model_name(azure_ft) == "gpt-4.1-mini-2025-04-14"
    assert catalog.base_model_name("ft:gpt-4o-mini-2024-07-18:org:x:abc:ckpt-step-88") == "gpt-4o-mini-2024-07-18"
    assert catalog.is_fine_tuned_name(azure_ft) and not catalog.is_fine_tuned_name("gpt-4.1-mini")
    info = catalog.load_catalog().resolve("gpt-4.1-mini")
    assert catalog.inference_prices("ft:gpt-4.1-mini-2025-04-14:o:s:1") == info.fine_tuned
    assert catalog.inference_prices(azure_ft, calendar="azure") == info.base  # Azure: base rate + hosting fee
    assert catalog.inference_prices("gpt-4.1-mini") == info.base
    assert catalog.inference_prices("my-deployment") is None
    assert catalog.inference_prices("gpt-4.1-mini", fine_tuned=True) == info.fine_tuned


# ---------------------------------------------------------------- two calendars
# (model, OpenAI: first day no new jobs, OpenAI: fine-tunes stop, Azure: training ends, Azure: deployments stop)
# straight from the table of ../shared/spec/azure-and-replacements.md section 1 and its OpenAI sources.
CALENDAR_TABLE = [
    ("gpt-4o-mini-2024-07-18", "2027-01-06", "2027-01-14", "2027-04-01", "2027-10-01"),
    ("gpt-4o-2024-08-06", "2027-01-06", "2027-01-14", "2027-04-01", "2027-10-01"),
    ("gpt-4.1-2025-04-14", "2027-01-06", "2027-01-14", "2027-04-14", "2027-10-14"),
    ("gpt-4.1-mini-2025-04-14", "2027-01-06", "2027-01-14", "2027-04-14", "2027-10-14"),
    ("gpt-4.1-nano-2025-04-14", "2026-10-23", "2026-10-23", "2027-04-14", "2027-10-14"),
    ("o4-mini-2025-04-16", "2026-10-23", "2026-10-23", "2027-04-16", "2027-10-16"),
    ("gpt-3.5-turbo-0125", "2026-10-23", "2026-10-23", None, None),
    ("davinci-002", "2026-09-28", "2026-09-28", None, None),
    ("babbage-002", "2026-09-28", "2026-09-28", None, None),
    ("gpt-6-luna", None, None, None, None),
    ("gpt-6.1-terra", None, None, None, None),
    ("gpt-6.1-sol", None, None, None, None),
    ("gpt-6-astra", None, None, None, None),
    ("gpt-5.6-luna", None, None, None, None),
    ("gpt-5", None, "2026-12-11", None, None),
    ("gpt-5-mini", None, "2026-12-11", None, None),
    ("gpt-5-nano", None, "2026-12-11", None, None),
]


def _d(text):
    return dt.date.fromisoformat(text) if text else None


def test_the_calendar_table_covers_every_catalog_model():
    assert {row[0] for row in CALENDAR_TABLE} == set(catalog.load_catalog().models)


@pytest.mark.parametrize("model, oa_train, oa_infer, az_train, az_infer", CALENDAR_TABLE)
def test_dates_per_backend_for_every_model(model, oa_train, oa_infer, az_train, az_infer):
    cat = catalog.load_catalog()
    openai_dates, azure_dates = cat.lifecycle(model, "openai"), cat.lifecycle(model, "azure")
    assert (openai_dates.model_id, openai_dates.calendar, azure_dates.calendar) == (model, "openai", "azure")
    assert (openai_dates.training_until, openai_dates.inference_until) == (_d(oa_train), _d(oa_infer))
    assert (azure_dates.training_until, azure_dates.inference_until) == (_d(az_train), _d(az_infer))
    for dates in (openai_dates, azure_dates):
        assert dates.source.startswith("https://") and dt.date.fromisoformat(dates.as_of)
    assert azure_dates.source == cat.sources["azure_retirements"]
    # ModelInfo.shutdown_date stays OpenAI's, so every existing reader keeps working
    assert cat.resolve(model).shutdown_date == openai_dates.inference_until


def test_a_fine_tuned_name_of_either_backend_finds_its_base_models_dates():
    cat = catalog.load_catalog()
    azure_ft = "gpt-4o-mini-2024-07-18.ft-0123456789abcdef0123456789abcdef"
    assert cat.lifecycle(azure_ft, "azure").inference_until == dt.date(2027, 10, 1)
    assert cat.lifecycle("ft:gpt-4o-mini-2024-07-18:acme::abc", "openai").inference_until == dt.date(2027, 1, 14)
    with pytest.raises(UnknownModelError):
        cat.lifecycle("my-deployment", "azure")
    with pytest.raises(ValueError, match="calendar"):
        cat.lifecycle("gpt-4o-mini", "gcp")


def test_calendar_for_a_backend():
    assert catalog.calendar_for("azure") == "azure"
    assert catalog.calendar_for("openai") == catalog.calendar_for("custom") == "openai"
    assert catalog.calendar_for("demo") == "openai"
    assert catalog.calendar_for("demo", demo_calendar="azure") == "azure"
    assert catalog.calendar_for("openai", demo_calendar="azure") == "openai"  # only the demo can be switched
    with pytest.raises(ValueError):
        catalog.calendar_for("demo", demo_calendar="aws")


def test_azure_keeps_training_and_answering_after_openai_stops():
    cat = catalog.load_catalog()
    openai_ids = {"gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14"}
    today = dt.date(2026, 11, 26)
    assert {m.id for m in cat.trainable(today)} == openai_ids
    assert {m.id for m in cat.trainable(today, "azure")} == openai_ids | {"gpt-4.1-nano-2025-04-14"}
    after_openai = dt.date(2027, 2, 1)
    assert cat.trainable(after_openai) == [] and not cat.jobs_allowed(after_openai)
    assert {m.id for m in cat.trainable(after_openai, "azure")} == openai_ids | {"gpt-4.1-nano-2025-04-14"}
    assert cat.jobs_allowed(after_openai, "azure")
    assert {m.id for m in cat.trainable(dt.date(2027, 4, 1), "azure")} == {
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
    }
    assert cat.trainable(dt.date(2027, 4, 14), "azure") == [] and not cat.jobs_allowed(dt.date(2027, 4, 14), "azure")
    mini = cat.resolve("gpt-4o-mini")
    assert mini.is_retired(dt.date(2027, 1, 14)) and not mini.is_retired(dt.date(2027, 1, 14), "azure")
    assert mini.is_retired(dt.date(2027, 10, 1), "azure")


def test_no_earlier_than_and_disagreeing_copies_are_said():
    cat = catalog.load_catalog()
    mini = cat.lifecycle("gpt-4o-mini", "azure")
    assert "no earlier than 2027-04-01" in mini.note and "existing customers" in mini.note
    o4 = cat.lifecycle("o4-mini", "azure")
    assert o4.doubtful and set(o4.doubtful_fields) == {"training_until", "inference_until"}
    assert "2027-05-19" in o4.note and "2027-11-19" in o4.note  # the October copy's dates
    legacy = cat.lifecycle("gpt-3.5-turbo", "azure")
    assert not legacy.listed and not legacy.training_open(dt.date(2026, 1, 1))


# ---------------------------------------------------------------- doubt flags (issue 12, defect 8)
def test_doubt_flags_are_even():
    cat = catalog.load_catalog()
    stages = {s.date: s.doubtful for s in cat.stages}
    # 2027-01-06 comes from the same secondary sources as the two flagged stages
    assert stages == {dt.date(2026, 5, 7): True, dt.date(2026, 7, 2): True, dt.date(2027, 1, 6): True}
    assert cat.no_new_jobs_doubtful
    for model in ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini"):
        dates = cat.lifecycle(model, "openai")
        assert dates.doubtful and "training_until" in dates.doubtful_fields, model
    # gpt-4.1's batch cached price breaks the 50% batch rule like gpt-4o's: flagged the same way
    gpt41 = cat.resolve("gpt-4.1").fine_tuned_batch
    assert gpt41.cached_input == 0.50 and gpt41.cached_input != cat.resolve("gpt-4.1").fine_tuned.cached_input / 2
    assert gpt41.doubtful == ("cached_input",) and "50%" in gpt41.doubt


def test_every_batch_price_off_the_50_percent_rule_is_flagged():
    for info in catalog.load_catalog().models.values():
        batch, full = info.fine_tuned_batch, info.fine_tuned
        if batch is None:
            continue
        for name in ("input", "cached_input", "output"):
            value, standard = getattr(batch, name), getattr(full, name)
            if value is not None and abs(value - standard / 2) > 1e-9:
                assert name in batch.doubtful, (info.id, name)


# ---------------------------------------------------------------- DPO (issue 12, defect 3)
def test_dpo_only_where_the_guides_list_it():
    cat = catalog.load_catalog()
    assert "dpo" not in cat.resolve("gpt-4o-mini").methods
    for model in ("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano"):
        info = cat.resolve(model)
        assert "dpo" in info.methods and info.method_doubt("dpo") == "" == info.method_doubt("dpo", "azure")
    gpt4o = cat.resolve("gpt-4o")
    assert "dpo" in gpt4o.methods
    assert "gpt-4.1" in gpt4o.method_doubt("dpo", "openai")  # doubtful on OpenAI...
    assert gpt4o.method_doubt("dpo", "azure") == ""  # ...listed by Azure


# ---------------------------------------------------------------- Azure's cost model
def test_azure_hosting_fees():
    cat = catalog.load_catalog()
    for kind in ("standard", "global_standard"):
        fee = cat.hosting_fee(kind)
        assert fee.usd_per_hour == 1.70 and fee.doubtful and "March 2026" in fee.note
        assert fee.source == cat.sources["azure_costs"]
        assert fee.per_month(cat.azure.hours_per_month) == pytest.approx(1224.0)
    developer = cat.hosting_fee("developer")
    assert developer.usd_per_hour == 0 and "24 hours" in developer.note
    assert cat.azure.idle_deletion_days == 15 and "15 days" in cat.azure.idle_deletion_note
    with pytest.raises(KeyError, match="standard"):
        cat.hosting_fee("provisioned")


def test_azure_training_tiers():
    tiers = {t.id: t for t in catalog.load_catalog().training_tiers()}
    assert [t.training_type for t in tiers.values()] == ["Standard", None, "GlobalStandard", "Developer"]
    assert "10-30%" in tiers["global"].discount and "50%" in tiers["developer"].discount
    assert "reemptible" in tiers["developer"].trade_offs
    assert all(t.trade_offs and t.source.startswith("https://") for t in tiers.values())


def test_suffix_limit_per_backend():
    cat = catalog.load_catalog()
    assert cat.limits_for("openai")["suffix_max_chars"] == 64 == cat.limits["suffix_max_chars"]
    assert cat.limits_for("azure")["suffix_max_chars"] == 40
    assert cat.limits_for("azure")["n_epochs"] == cat.limits["n_epochs"]


# ---------------------------------------------------------------- replacement models
REPLACEMENT_PRICES = {
    "gpt-6-luna": (0.10, 0.01, 0.50),
    "gpt-6.1-terra": (1.00, 0.05, 5.00),
    "gpt-6.1-sol": (2.00, 0.10, 10.00),
    "gpt-6-astra": (10.00, 1.00, 50.00),
    "gpt-5.6-luna": (0.20, 0.02, 1.20),
}


@pytest.mark.parametrize("model, prices", REPLACEMENT_PRICES.items())
def test_replacement_models_have_base_prices_and_cannot_be_fine_tuned(model, prices):
    info = catalog.load_catalog().resolve(model)
    assert (info.base.input, info.base.cached_input, info.base.output) == prices
    assert info.base.as_of == "2026-12-03" and info.base.source.startswith("https://")
    assert not info.fine_tunable and info.methods == () and info.fine_tuned is None
    assert info.training_per_1m is None
    assert catalog.inference_prices(model) == info.base
    assert catalog.inference_prices(model, calendar="azure") == info.base
    assert catalog.inference_prices(model, fine_tuned=True) is None  # no fine-tuned price exists


def test_gpt_6_luna_is_openais_named_replacement_and_reasons():
    cat = catalog.load_catalog()
    luna = cat.resolve("gpt-6-luna")
    assert luna.reasoning and "output" in luna.note
    assert set(luna.replacement_for) == {
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
    }
    assert not cat.resolve("gpt-6.1-terra").reasoning


def test_replacements_offered_and_never_trainable():
    cat = catalog.load_catalog()
    today = dt.date(2026, 11, 26)
    offered = [m.id for m in cat.replacements(today)]
    assert offered[0] == "gpt-6-luna"
    assert set(offered) >= set(REPLACEMENT_PRICES) | {"gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14"}
    assert not any(m.startswith("gpt-5-") or m == "gpt-5" for m in offered)  # no prices, shut down 2026-12-11
    assert "gpt-4.1-2025-04-14" not in [m.id for m in cat.replacements(dt.date(2027, 1, 14))]
    for day in (today, dt.date(2027, 2, 1)):
        for calendar in catalog.CALENDARS:
            assert all(m.fine_tunable for m in cat.trainable(day, calendar))


def test_gpt_5_family_shuts_down_on_2026_12_11():
    cat = catalog.load_catalog()
    for model in ("gpt-5", "gpt-5-mini", "gpt-5-nano"):
        info = cat.resolve(model)
        assert info.shutdown_date == dt.date(2026, 12, 11) and not info.fine_tunable
        assert info.is_retired(dt.date(2026, 12, 11)) and not info.is_retired(dt.date(2026, 12, 10))
        assert catalog.inference_prices(model) is None  # prices not collected: never made up
