"""Guardrail audit flow: scan new llm_calls batches for PII, secrets, injection, toxicity, leaks."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from llmops.audit.run import AuditError, AuditResult
from llmops.core.settings import get_settings
from tasks.common import gather
from tasks.guardrails import (
    apply_text_retention,
    audit_one_batch,
    emit_guardrail_alerts,
    find_unaudited_batches,
    judge_uncertain_injections,
    prune_retracted_findings,
    publish_audit_report,
    record_judge_verdicts,
    summarise_audit,
)


def _run_name() -> str:
    params = flow_run.parameters
    scope = f"since-{params['since']}" if params.get("since") else "new"
    return f"guardrail-audit-{'reaudit-' if params.get('reaudit') else ''}{scope}"


@flow(
    name="guardrail-audit",
    flow_run_name=_run_name,
    task_runner=ThreadPoolTaskRunner(max_workers=2),
)
def guardrail_audit(
    batch_ids: list[str] | None = None, since: str | None = None, reaudit: bool = False
) -> AuditResult:
    """Audit batches not audited yet (or the given ones), report, alert on severe findings."""
    logger = get_run_logger()
    settings = get_settings()
    retracted = prune_retracted_findings(settings)
    selection = find_unaudited_batches(settings, batch_ids, since, reaudit)
    logger.info(
        "%d batch(es) to audit, %d already audited",
        len(selection.pending),
        selection.already_audited,
    )
    audited, failed = gather({b: audit_one_batch.submit(settings, b) for b in selection.pending})
    judge = None
    if settings.guardrail_judge.enabled and audited:
        judge = judge_uncertain_injections(settings, audited)
        record_judge_verdicts(settings, judge)
        logger.info(
            "judge: %d of %d uncertain item(s) judged, $%.6f spent%s",
            judge.judged,
            judge.candidates,
            judge.cost_usd,
            " (USD cap reached)" if judge.cap_reached else "",
        )
    summary = summarise_audit(settings, [a.batch_id for a in audited], judge)
    retention = apply_text_retention(settings)
    logger.info("text retention %s: %s", retention.policy, retention.rows or "nothing to redact")
    result = AuditResult(
        audited=audited,
        already_audited=selection.already_audited,
        retracted=retracted,
        summary=summary,
        failed=failed,
        retention=retention,
    )
    emit_guardrail_alerts(summary.alerts, str(flow_run.id) if flow_run.id else None)
    publish_audit_report(result)
    if failed:  # the rest is audited and reported; the run still fails, naming the batches
        raise AuditError(f"{len(failed)} batch(es) could not be audited: {', '.join(failed)}")
    return result
