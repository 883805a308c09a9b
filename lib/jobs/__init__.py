"""Watching fine-tuning jobs: listing, incremental events, metrics, checkpoints, cost, archive.

A package split by concern; ``from lib.jobs import X`` works for every public name:

- :mod:`lib.jobs.status`: ids, labels, times, progress and the status timeline;
- :mod:`lib.jobs.events`: incremental events (:class:`EventLog`), metric rows, the events table;
- :mod:`lib.jobs.facts`: method, hyperparameters, shutdown note, cost, checkpoints and results;
- :mod:`lib.jobs.listing`: the jobs list; :mod:`lib.jobs.api`: one job's calls;
- :mod:`lib.jobs.watch`: one watched job (:class:`JobWatch`, :func:`poll`, :func:`load_final`);
- :mod:`lib.jobs.compare`, :mod:`lib.jobs.archive`, :mod:`lib.jobs.azure` (deploying on Azure OpenAI).

Everything here works on plain dicts (the JSON the API returns, via :func:`as_dict`), so what a
page keeps in session state can be written to an archive as-is. Functions that talk to the API
take an ``openai.OpenAI`` client and make the calls they name, nothing more; errors from the SDK
are left to the page, which turns them into one sentence (``lib.errors``).
"""

from lib.jobs.api import (
    cancel_job,
    fetch_checkpoints,
    fetch_file_metadata,
    fetch_job,
    fetch_result_files,
    file_ids,
    pause_job,
    resume_job,
)
from lib.jobs.archive import archive_name, archive_readme, build_archive, metrics_csv
from lib.jobs.azure import (
    AZURE_PLACEHOLDERS,
    AzureDeployment,
    HostingCost,
    azure_charges_note,
    azure_deployment,
    azure_hosting_costs,
    deployment_name_for,
)
from lib.jobs.compare import COMPARE_SETTINGS, compare_table, final_metrics
from lib.jobs.events import (
    EVENTS_PAGE_LIMIT,
    METRIC_KEYS,
    METRIC_LABELS,
    EventLog,
    events_table,
    fetch_all_events,
    fetch_events_page,
    level_counts,
    metric_rows,
    smooth,
)
from lib.jobs.facts import (
    ESTIMATE_TOKENS_KEY,
    ESTIMATE_USD_KEY,
    RESULT_COLUMN_SPELLINGS,
    CostReport,
    ShutdownNote,
    best_checkpoint,
    checkpoint_rows,
    clone_prefill,
    decode_result_file,
    hyperparameters,
    job_cost,
    method_type,
    parse_result_csv,
    shutdown_note,
)
from lib.jobs.listing import (
    JobsPage, Listing, filter_jobs, jobs_table, list_jobs_page, merge_job_lists, parse_metadata_filter, update_listing,
)
from lib.jobs.status import (
    STAGES,
    STATUS_ICONS,
    STATUS_LABELS,
    TERMINAL_STATUSES,
    Progress,
    TimelineStep,
    as_dict,
    error_sentence,
    eta_text,
    format_duration,
    format_time,
    has_error,
    is_checkpoint_id,
    is_job_id,
    is_terminal,
    job_label,
    job_progress,
    short_label,
    status_history,
    status_label,
    status_timeline,
    suffix_of,
)
from lib.jobs.watch import JobWatch, load_final, poll

__all__ = [
    'TERMINAL_STATUSES', 'STAGES', 'STATUS_LABELS', 'STATUS_ICONS', 'is_checkpoint_id', 'is_job_id',
    'job_label', 'short_label', 'is_terminal', 'status_label', 'as_dict', 'has_error', 'error_sentence',
    'format_time', 'format_duration', 'suffix_of', 'Progress', 'job_progress', 'eta_text', 'TimelineStep',
    'status_history', 'status_timeline', 'EVENTS_PAGE_LIMIT', 'METRIC_KEYS', 'METRIC_LABELS', 'EventLog',
    'fetch_events_page', 'fetch_all_events', 'metric_rows', 'smooth', 'level_counts', 'events_table',
    'RESULT_COLUMN_SPELLINGS', 'ESTIMATE_TOKENS_KEY', 'ESTIMATE_USD_KEY', 'method_type', 'hyperparameters',
    'clone_prefill', 'ShutdownNote', 'shutdown_note', 'CostReport', 'job_cost', 'checkpoint_rows',
    'best_checkpoint', 'decode_result_file', 'parse_result_csv', 'JobsPage', 'Listing', 'update_listing',
    'parse_metadata_filter',
    'list_jobs_page', 'merge_job_lists', 'filter_jobs', 'jobs_table', 'fetch_job', 'cancel_job', 'pause_job',
    'resume_job', 'fetch_checkpoints', 'fetch_result_files', 'file_ids', 'fetch_file_metadata', 'JobWatch',
    'poll', 'load_final', 'COMPARE_SETTINGS', 'final_metrics', 'compare_table', 'archive_name',
    'archive_readme', 'metrics_csv', 'build_archive', 'AZURE_PLACEHOLDERS', 'AzureDeployment',
    'deployment_name_for', 'azure_deployment', 'HostingCost', 'azure_hosting_costs', 'azure_charges_note',
]
