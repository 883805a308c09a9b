"""The dated catalog: every figure sourced and dated, names resolved, deadlines as data."""

import datetime as dt
import json

import pytest

from lib import catalog
from lib.catalog import CATALOG_PATH, UnknownModelError, auto_epochs, base_model_name, encoding_for_model


def test_every_price_block_has_source_and_date():
    raw = json.loads(CATALOG_PATH.read_text())
    for model_id, spec in raw["models"].items():
        for block in ("training", "base", "fine_tuned"):
            assert spec[block]["source"].startswith("https://"), (model_id, block)
            dt.date.fromisoformat(spec[block]["as_of"])


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


@pytest.mark.parametrize("name, base", [
    ("ft:gpt-4.1-mini-2025-04-14:org::abc", "gpt-4.1-mini-2025-04-14"),
    ("ft:gpt-4o-mini-2024-07-18:my-org:custom:9ABel2dg:ckpt-step-88", "gpt-4o-mini-2024-07-18"),
    ("gpt-4o", "gpt-4o"),
])
def test_base_model_name(name, base):
    assert base_model_name(name) == base


@pytest.mark.parametrize("name, encoding", [
    ("gpt-4o-mini", "o200k_base"),
    ("ft:gpt-4.1-mini-2025-04-14:org::abc", "o200k_base"),  # tiktoken says cl100k_base: wrong
    ("ft:o4-mini-2025-04-16:org::x", "o200k_base"),         # tiktoken raises KeyError
    ("gpt-3.5-turbo", "cl100k_base"),
    ("babbage-002", "cl100k_base"),
    ("ft:davinci-002:org::x", "cl100k_base"),
])
def test_encoding_for_model(name, encoding):
    assert encoding_for_model(name) == encoding


def test_unknown_model():
    with pytest.raises(UnknownModelError):
        catalog.load_catalog().resolve("gpt-9")


def test_trainable_models_respect_shutdowns_and_cutoff():
    cat = catalog.load_catalog()
    now = [m.id for m in cat.trainable(dt.date(2026, 11, 26))]
    assert set(now) == {"gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "gpt-4.1-2025-04-14",
                        "gpt-4.1-mini-2025-04-14"}
    assert cat.trainable(cat.no_new_jobs_from) == []
    assert cat.no_new_jobs_from == dt.date(2027, 1, 6)
    assert cat.retirement_date == dt.date(2027, 1, 14)


@pytest.mark.parametrize("examples, epochs", [(1, 25), (4, 25), (5, 20), (10, 10), (20, 5), (33, 3),
                                              (8333, 3), (8334, 2), (12500, 2), (12501, 1), (100000, 1)])
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
