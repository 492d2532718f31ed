"""The audit's optional LLM judge tier on the provider simulator: sample, verdicts, spend, cap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from llmops.audit.judge import masked_inputs
from llmops.audit.report import audit_report
from llmops.audit.run import run_audit
from llmops.core.settings import Settings, get_settings
from llmops.core.settings.audit import GuardrailJudgeSettings
from llmops.guardrails.injection import load_model
from llmops.ingest import ingest_paths
from llmops.lake.warehouse import connect
from tests.builders.audit import EMAIL, INPUTS, KEY, write_log
from tests.builders.simulator import SimulatorHandle

# every score is "uncertain" in this band, so the sample bound is what limits the judge
WIDE = {"band_below": 1.0, "band_above": 1.0}


def judged_settings(tmp_path: Path, **judge: object) -> Settings:
    settings = get_settings(guardrail_judge=GuardrailJudgeSettings(enabled=True, **judge))
    ingest_paths([write_log(tmp_path / "calls.jsonl")], settings)
    return settings


def rows(settings: Settings, sql: str) -> list[tuple]:
    con = connect(settings.lake_dir)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.usefixtures("home")
def test_judge_sees_the_most_uncertain_items_masked_and_records_verdicts(
    simulator: SimulatorHandle, tmp_path: Path
) -> None:
    settings = judged_settings(tmp_path, max_items=4, usd_cap=1.0, **WIDE)
    model = load_model()
    scores = model.predict_proba(pl.Series(INPUTS))
    nearest = np.argsort(np.abs(scores - model.params.threshold), kind="stable")[:4]
    expected = {f"call-{i:02d}" for i in nearest}

    result = run_audit(settings)

    judge = result.summary.judge
    assert judge is not None and "injection_judge" in result.summary.detectors
    assert (judge.candidates, judge.sampled, judge.judged, judge.errors) == (len(INPUTS), 4, 4, 0)
    assert not judge.cap_reached and judge.not_judged == 0
    assert judge.calls == 4 and 0 < judge.cost_usd < judge.usd_cap
    assert "provider simulator" in judge.provenance
    assert {i.call_id for i in judge.items} == expected
    assert judge.injection + judge.benign == 4
    assert judge.agreed == sum((i.label == "injection") == i.flagged for i in judge.items)

    found = rows(
        settings,
        "SELECT call_id, label, severity, direction, score, excerpt FROM findings "
        "WHERE detector = 'injection_judge'",
    )
    assert {r[0] for r in found} == expected
    for call_id, label, severity, direction, score, excerpt in found:
        assert (label, severity) in {("injection", "high"), ("benign", "low")}
        assert direction == "input" and "| judge:" in excerpt
        assert score == pytest.approx(float(scores[int(call_id[-2:])]))
        assert EMAIL not in excerpt and KEY not in excerpt
    # the ledger counts include the verdicts
    ledger = rows(settings, "SELECT findings, high, low, detectors FROM audits")[0]
    total, high, low = rows(
        settings,
        "SELECT count(*), count(*) FILTER (severity = 'high'), count(*) FILTER (severity = 'low') "
        "FROM findings",
    )[0]
    assert ledger[:3] == (total, high, low) and ledger[3].endswith("injection_judge")

    report = audit_report(result)
    assert "## LLM judge (second tier)" in report and "**4 judged**" in report
    assert f"${judge.cost_usd:.6f}" in report
    assert EMAIL not in report and KEY not in report


def test_the_judge_is_shown_masked_text_only() -> None:
    masked = masked_inputs(pl.Series([INPUTS[4], INPUTS[5]]))
    assert EMAIL not in masked[0] and "[EMAIL]" in masked[0]
    assert KEY not in masked[1] and "[OPENAI_KEY]" in masked[1]
    assert masked[0].startswith("Ignore your rules")


@pytest.mark.usefixtures("home")
def test_usd_cap_stops_the_judge_cleanly(simulator: SimulatorHandle, tmp_path: Path) -> None:
    # one call costs ~$0.0009 on the judge's price: the first goes through, then the cap holds
    settings = judged_settings(tmp_path, max_items=5, usd_cap=1e-6, concurrency=1, **WIDE)

    result = run_audit(settings)

    judge = result.summary.judge
    assert judge is not None and judge.cap_reached
    assert judge.judged == 1 and judge.not_judged == 4 and judge.errors == 0
    assert judge.calls == 1 and judge.cost_usd > judge.usd_cap
    assert judge.stop_reason is not None and "USD cap reached" in judge.stop_reason
    assert len(rows(settings, "SELECT 1 FROM findings WHERE detector = 'injection_judge'")) == 1
    # the fast detectors' findings are all there
    assert rows(settings, "SELECT count(*) FROM findings WHERE detector = 'injection'")[0][0] > 0
    assert "USD cap reached: stopped cleanly" in audit_report(result)


@pytest.mark.usefixtures("home")
def test_judge_is_off_by_default(tmp_path: Path) -> None:
    settings = get_settings()
    assert not settings.guardrail_judge.enabled and settings.guardrail_judge.max_items == 50
    ingest_paths([write_log(tmp_path / "calls.jsonl")], settings)

    result = run_audit(settings)

    assert result.summary.judge is None and result.audited[0].uncertain == []
    assert rows(settings, "SELECT 1 FROM findings WHERE detector = 'injection_judge'") == []
    assert "Off (settings `guardrail_judge.enabled`)" in audit_report(result)


def test_narrow_band_keeps_only_scores_near_the_threshold() -> None:
    cfg = GuardrailJudgeSettings(enabled=True, band_below=0.1, band_above=0.2)
    assert cfg.band(0.5) == pytest.approx((0.4, 0.7))
    with pytest.raises(ValueError, match="band_below"):
        GuardrailJudgeSettings(enabled=True, band_below=0.0, band_above=0.0)
