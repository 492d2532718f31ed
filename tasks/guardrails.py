"""Tasks of the guardrail audit: find batches, audit one, judge, summarise, alert, report."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.events import emit_event

from llmops.audit.report import audit_report
from llmops.audit.run import (
    ALERT_EVENT,
    AuditResult,
    AuditSummary,
    BatchAudit,
    BatchSelection,
    GuardrailAlert,
    JudgeRun,
    audit_batch,
    judge_uncertain,
    prune_retracted,
    select_batches,
    summarise_run,
    write_judge_findings,
)
from llmops.core.settings import Settings
from llmops.privacy.retention import RetentionResult, apply_retention
from tasks.common import transient


@task(name="find-unaudited-batches", retries=1, retry_delay_seconds=5)
def find_unaudited_batches(
    settings: Settings,
    batch_ids: list[str] | None = None,
    since: str | None = None,
    reaudit: bool = False,
) -> BatchSelection:
    """llm_calls batches with no (current) audit, or all chosen ones with reaudit."""
    return select_batches(settings, batch_ids, since, reaudit)


@task(name="prune-retracted-findings", retries=1, retry_delay_seconds=5)
def prune_retracted_findings(settings: Settings) -> list[str]:
    """Drop findings and ledger files of batches no longer in llm_calls."""
    return prune_retracted(settings)


@task(
    name="audit-batch",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=transient,
    task_run_name="audit-{batch_id}",
)
def audit_one_batch(settings: Settings, batch_id: str) -> BatchAudit:
    """Run every detector over one batch file; replace its findings and ledger."""
    return audit_batch(settings, batch_id)


@task(name="judge-uncertain-injections")
def judge_uncertain_injections(settings: Settings, audited: list[BatchAudit]) -> JudgeRun:
    """LLM judge on the most uncertain injection items, under the run's USD cap (no retry:
    the gateway retries each call; a rerun would spend the cap again)."""
    return judge_uncertain(settings, audited)


@task(name="record-judge-verdicts", retries=1, retry_delay_seconds=5)
def record_judge_verdicts(settings: Settings, run: JudgeRun) -> dict[str, int]:
    """Add the judge's verdicts as `injection_judge` findings to their batches."""
    return write_judge_findings(settings, run)


@task(name="summarise-audit", retries=1, retry_delay_seconds=10)
def summarise_audit(
    settings: Settings, batch_ids: list[str], judge: JudgeRun | None = None
) -> AuditSummary:
    """Counts, injection patterns, examples, alerts of this run; the lake's weekly trend."""
    return summarise_run(settings, batch_ids, judge)


@task(name="apply-text-retention", retries=1, retry_delay_seconds=5)
def apply_text_retention(settings: Settings) -> RetentionResult:
    """Redact PII and secrets in the lake's raw text as `text_retention` says (atomic, idempotent)."""
    return apply_retention(settings)


@task(name="emit-guardrail-alerts")
def emit_guardrail_alerts(alerts: list[GuardrailAlert], flow_run_id: str | None = None) -> int:
    """One `llmops.guardrail.alert` event per detector and label over its threshold."""
    for a in alerts:
        emit_event(
            event=ALERT_EVENT,
            resource={
                "prefect.resource.id": f"llmops.guardrail.{a.detector}.{a.label}",
                "prefect.resource.name": f"{a.detector}/{a.label}",
                "llmops.detector": a.detector,
                "llmops.label": a.label,
                "llmops.severity": a.severity,
            },
            payload={**a.model_dump(mode="json"), "flow_run_id": flow_run_id},
        )
    return len(alerts)


@task(name="publish-audit-report")
def publish_audit_report(result: AuditResult) -> str:
    """The markdown artifact `guardrail-audit` on the flow run."""
    md = audit_report(result)
    create_markdown_artifact(
        key="guardrail-audit", markdown=md, description="Guardrail audit: findings and alerts"
    )
    return md
