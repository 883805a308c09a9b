"""Reading ``catalog.json``: its JSON structure turned into the records of :mod:`lib.catalog_records`."""

from __future__ import annotations

import datetime as dt

from lib.catalog_records import (
    AzureFacts,
    Catalog,
    Deadline,
    HostingFee,
    Lifecycle,
    MethodDoubt,
    ModelInfo,
    Prices,
    TrainingTier,
)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _prices(raw: dict | None) -> Prices | None:
    if raw is None:
        return None
    return Prices(
        input=raw["input"],
        cached_input=raw.get("cached_input"),
        output=raw["output"],
        source=raw["source"],
        as_of=raw["as_of"],
        doubtful=tuple(raw.get("doubtful", ())),
        doubt=raw.get("doubt", ""),
    )


def _lifecycle(model_id: str, calendar: str, raw: dict, fine_tunable: bool) -> Lifecycle:
    doubtful = tuple(raw.get("doubtful", ()))
    return Lifecycle(
        model_id=model_id,
        calendar=calendar,
        training_until=_date(raw.get("training_until")),
        inference_until=_date(raw.get("inference_until")),
        source=raw["source"],
        as_of=raw["as_of"],
        doubtful=bool(doubtful),
        note=raw.get("note", ""),
        doubtful_fields=doubtful,
        listed=raw.get("listed", True),
        fine_tunable=fine_tunable,
    )


def _model(model_id: str, raw: dict) -> ModelInfo:
    training = raw.get("training") or {}
    fine_tunable = bool(raw.get("fine_tunable", True))
    lifecycles = tuple(
        _lifecycle(model_id, calendar, spec, fine_tunable) for calendar, spec in raw["lifecycle"].items()
    )
    openai_dates = next(lc for lc in lifecycles if lc.calendar == "openai")
    doubtful = tuple(
        key.removesuffix("_doubtful") for key, value in raw.items() if key.endswith("_doubtful") and value
    ) + (("shutdown_date",) if "inference_until" in openai_dates.doubtful_fields else ())
    method_doubts = tuple(
        MethodDoubt(method, tuple(spec["calendars"]), spec["note"], spec["source"], spec["as_of"])
        for method, spec in raw.get("method_doubts", {}).items()
    )
    return ModelInfo(
        id=model_id,
        label=raw["label"],
        aliases=tuple(raw.get("aliases", ())),
        encoding=raw["encoding"],
        training_context=raw.get("training_context"),
        methods=tuple(raw["methods"]),
        vision=bool(raw.get("vision")),
        shutdown_date=openai_dates.inference_until,
        training_per_1m=training.get("per_1m"),
        training_per_hour=training.get("per_hour"),
        training_source=training.get("source"),
        training_as_of=training.get("as_of"),
        base=_prices(raw.get("base")),
        fine_tuned=_prices(raw.get("fine_tuned")),
        fine_tuned_batch=_prices(raw.get("fine_tuned_batch")),
        doubtful_fields=doubtful,
        fine_tunable=fine_tunable,
        replacement_candidate=bool(raw.get("replacement_candidate", not fine_tunable)),
        reasoning=bool(raw.get("reasoning")),
        replacement_for=tuple(raw.get("replacement_for", ())),
        released=_date(raw.get("released")),
        note=raw.get("note", ""),
        lifecycles=lifecycles,
        method_doubts=method_doubts,
        supervised_format=raw.get("supervised_format", "chat"),
    )


def _azure(raw: dict | None) -> AzureFacts | None:
    if raw is None:
        return None
    hosting = {
        kind: HostingFee(
            kind,
            spec["label"],
            spec["usd_per_hour"],
            spec["source"],
            spec["as_of"],
            bool(spec.get("doubtful")),
            spec.get("note", ""),
        )
        for kind, spec in raw["hosting"].items()
    }
    tiers = tuple(
        TrainingTier(
            t["id"], t["label"], t.get("training_type"), t["discount"], t["trade_offs"], t["source"], t["as_of"]
        )
        for t in raw["training_tiers"]
    )
    deploy = raw["deploy"]
    return AzureFacts(
        hosting=hosting,
        training_tiers=tiers,
        idle_deletion_days=raw["idle_deletion_days"],
        idle_deletion_note=raw["idle_deletion_note"],
        hours_per_month=raw["hours_per_month"],
        training_price_note=raw["training_price_note"],
        deploy_url_template=deploy["management_url"],
        deploy_api_version=deploy["api_version"],
        deploy_source=deploy["source"],
    )


def parse_catalog(raw: dict) -> Catalog:
    """Build a :class:`Catalog` from the JSON structure of ``catalog.json``."""
    models = {model_id: _model(model_id, spec) for model_id, spec in raw["models"].items()}
    aliases = {alias: m.id for m in models.values() for alias in m.aliases}
    platform = raw["platform"]
    stages = tuple(
        Deadline(_date(s["date"]), s["text"], platform["no_new_jobs_from"]["source"], bool(s.get("doubtful")))
        for s in platform["stages"]
    )
    return Catalog(
        as_of=raw["as_of"],
        models=models,
        sources=dict(raw["sources"]),
        no_new_jobs_from=_date(platform["no_new_jobs_from"]["date"]),
        retirement_date=_date(platform["retirement"]["date"]),
        retiring_models=tuple(platform["retirement"]["models"]),
        winding_down_text=platform["winding_down"]["text"],
        stages=stages,
        limits=dict(raw["limits"]),
        auto_epochs=dict(raw["auto_epochs"]),
        azure=_azure(raw.get("azure")),
        limits_by_backend=dict(raw.get("limits_by_backend", {})),
        no_new_jobs_doubtful=bool(platform["no_new_jobs_from"].get("doubtful")),
        _aliases=aliases,
    )
