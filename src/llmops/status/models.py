"""What `llmops status` answers, as data: spend, quality, guardrails, the last prompt change."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from llmops.collector.health import CollectorHealth


class Missing(BaseModel):
    """Why a section has no answer and the command that fills it."""

    what: str
    fill: str


class Period(BaseModel):
    """Spend in one window and in the window of the same length before it."""

    name: str  # 'today', '7 days', '30 days'
    start: datetime
    end: datetime
    cost_usd: float
    calls: int
    unpriced_calls: int
    previous_cost_usd: float
    previous_calls: int
    change_pct: float | None  # None when the previous window spent nothing


class ScopeSpend(BaseModel):
    """Spend of one model in the 7-day window."""

    scope: str
    cost_usd: float
    calls: int


class AlertRow(BaseModel):
    """One row of the alerts table."""

    rule: str
    severity: str
    scope: str
    window_start: datetime
    window_end: datetime
    message: str


class Spend(BaseModel):
    """(a) What are we spending?"""

    as_of: datetime | None = None  # end of the newest rolled-up hour: the periods end here
    newest_day: date | None = None  # the day of the newest rolled-up hour (UTC)
    historical: bool = False  # the newest data day is before today (UTC)
    days_behind: int = 0  # days between the newest data day and today
    periods: list[Period] = []
    top_models: list[ScopeSpend] = []
    alerts: list[AlertRow] = []  # newest first, at most `alert_limit`
    alerts_open: int = 0  # alerts whose window ended in the 30-day period
    alerts_total: int = 0
    missing: Missing | None = None


class MetricDelta(BaseModel):
    """One metric of an eval run against its baseline."""

    metric: str
    mean: float | None
    baseline_mean: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    verdict: str | None


class RunRef(BaseModel):
    """An eval run in one line."""

    run_id: str
    started_at: datetime
    prompt_name: str
    prompt_version: str
    dataset: str
    verdict: str
    trigger: str | None
    served_model: str | None
    reason: str | None = None


class EvalVerdict(BaseModel):
    """The latest eval of one prompt on one dataset, with each metric against the baseline."""

    run: RunRef
    dataset_version: str | None
    baseline_run_id: str | None
    simulated: bool
    metrics: list[MetricDelta]
    recent_failures: list[RunRef] = []  # failed runs in the 7 days before it (same prompt, set)


class Quality(BaseModel):
    """(b) How are outputs performing against baseline?"""

    verdicts: list[EvalVerdict] = []
    missing: Missing | None = None


class Pattern(BaseModel):
    """A frequent injection trigger (masked sentence)."""

    pattern: str
    calls: int


class LabelCount(BaseModel):
    """PII or secret findings of one label, with a masked example."""

    detector: str
    label: str
    severity: str  # the most severe seen
    findings: int
    calls: int
    example: str | None


class DetectorTrend(BaseModel):
    """Findings of one detector this week and the week before."""

    detector: str
    this_week: int
    last_week: int


class Guardrails(BaseModel):
    """(c) Top injection patterns and PII findings this week."""

    week_start: datetime | None = None
    week_end: datetime | None = None
    injection_calls: int = 0
    injections: list[Pattern] = []
    pii: list[LabelCount] = []
    detectors: list[DetectorTrend] = []
    missing: Missing | None = None
    text_retention: str | None = None  # settings' text_retention: redact, keep_days: N, keep


class PromptChange(BaseModel):
    """(d) The last prompt change, its eval verdict and how to roll it back."""

    name: str
    version: int
    registered_at: datetime | None
    content_hash: str
    git_commit: str | None
    champion: int | None
    candidate: int | None
    champion_history: list[int]
    change: str  # one line: what happened last
    changed_at: datetime | None
    eval: RunRef | None  # the eval that promoted it, else the newest eval of this version
    latest_eval: RunRef | None = None  # the newest eval of this version, when another one
    rollback_command: str | None  # None: no earlier champion
    rollback_note: str


class PromptLine(BaseModel):
    """Another registered prompt in one line."""

    name: str
    champion: int | None
    candidate: int | None
    versions: int


class Prompts(BaseModel):
    """The prompt registry part of the status."""

    tracking_uri: str = ""
    last_change: PromptChange | None = None
    others: list[PromptLine] = []
    seconds: float = 0.0  # time spent reading MLflow
    missing: Missing | None = None


class Status(BaseModel):
    """The four answers of `llmops status`."""

    generated_at: datetime
    home: str
    seconds: float
    spend: Spend
    quality: Quality
    guardrails: Guardrails
    prompts: Prompts
    collector: CollectorHealth | None = None  # None: no collector ever ran in this home
