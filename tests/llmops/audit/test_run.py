"""The guardrail audit on simulated traffic: planted PII, keys and injections found, nothing leaked."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from llmops.audit.report import audit_report
from llmops.audit.run import AuditError, audit_batch, run_audit, select_batches
from llmops.audit.scan import residual_mask
from llmops.audit.summary import CountRow, evaluate_alerts
from llmops.core.settings import GuardrailAlertRules, Settings, get_settings
from llmops.ingest import ingest_paths
from llmops.lake.warehouse import connect
from llmops.simulators.traffic.text import INJECTIONS
from tests.builders.audit import DemoLake, build_demo_lake

# manifest kind -> finding label
LABELS = {
    "email": "email",
    "phone": "phone",
    "credit_card": "card",
    "iban": "iban",
    "ssn": "ssn",
    "openai_key": "openai_key",
    "aws_key": "aws_access_key",
    "github_token": "github_token",
    "slack_token": "slack_token",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoLake:
    return build_demo_lake(tmp_path_factory.getbasetemp())


def _findings(settings: Settings) -> list[dict]:
    con = connect(settings.lake_dir)
    try:
        cur = con.execute("SELECT * FROM findings ORDER BY finding_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def test_every_planted_value_in_the_calls_has_a_finding_of_its_label(demo: DemoLake) -> None:
    labels: dict[str, set[str]] = {}
    for f in _findings(demo.settings):
        labels.setdefault(f["call_id"], set()).add(f["label"])
    con = connect(demo.raw_lake)  # the texts as logged, before the retention redacted them
    try:
        inputs = con.execute("SELECT call_id, input_text FROM llm_calls").fetchall()
    finally:
        con.close()
    checked = 0
    for value, kind in demo.manifest.planted_value_kinds.items():
        calls = {c for c, text in inputs if text and value in text}
        for call in calls:
            assert LABELS[kind] in labels.get(call, set()), (kind, call)
            checked += 1
    assert checked >= 15  # OTel records carry no text in llm_calls yet, the rest is checked


def test_planted_example_ssns_are_flagged_one_severity_lower(demo: DemoLake) -> None:
    # The simulator plants 078-05-1120 and 219-09-9999, SSNs the SSA voided after they were
    # printed in ads: SSN-shaped data where none belongs, but nobody's number.
    assert set(demo.manifest.planted_value_kinds.values()) >= {"ssn"}
    ssn = [f for f in _findings(demo.settings) if f["label"] == "ssn"]
    assert ssn and {(f["severity"], f["score"]) for f in ssn} == {("medium", 0.5)}


def test_planted_injections_are_found(demo: DemoLake) -> None:
    con = connect(demo.settings.lake_dir)
    try:
        rows = con.execute("SELECT call_id, input_text FROM llm_calls").fetchall()
    finally:
        con.close()
    planted = {c for c, text in rows if text and any(p in text for p in INJECTIONS)}
    flagged = {f["call_id"] for f in _findings(demo.settings) if f["detector"] == "injection"}
    assert len(planted) >= 0.5 * demo.manifest.injection_calls
    # The classifier scores 5 of the simulator's 15 phrases below its threshold (e.g. the
    # "grandmother" and "Linux terminal" jailbreaks); observed recall here is 15 of 20 calls.
    assert len(planted & flagged) >= 0.7 * len(planted)
    top = [p.pattern for p in demo.result.summary.top_injections]
    assert any(p in INJECTIONS for p in top), top  # trigger sentences, not the text's start


def test_no_planted_value_in_findings_audits_or_report(demo: DemoLake) -> None:
    planted = [v.encode() for v in demo.manifest.planted_values]
    lake = demo.settings.lake_dir
    files = [*(lake / "findings").glob("*.parquet"), *(lake / "audits").glob("*.parquet")]
    assert len(files) > 2 * 50
    for path in files:
        raw = path.read_bytes()
        decoded = "\n".join(
            str(v) for col in pq.read_table(path).to_pylist() for v in col.values()
        ).encode()
        for value in planted:
            assert value not in raw and value not in decoded, (path.name, value)
    report = audit_report(demo.result).encode()
    assert b"[AWS_ACCESS_KEY]" in report and b"[NUMBER]" in report
    for value in planted:
        assert value not in report
    for f in _findings(demo.settings):  # the warehouse view too
        assert not any(v.decode() in (f["excerpt"] or "") for v in planted)


def test_counts_alerts_and_trend(demo: DemoLake) -> None:
    s = demo.result.summary
    assert len(demo.result.audited) == len(demo.manifest.files) and s.calls > 2500
    by_det = {c.detector for c in s.counts}
    assert {"pii", "secret", "injection"} <= by_det
    alerts = {(a.detector, a.label, a.severity) for a in s.alerts}
    assert ("injection", "injection", "high") in alerts
    assert any(d == "secret" and sev == "critical" for d, _, sev in alerts)
    assert s.week_end is not None and s.week_end.date() == date(2025, 3, 10)
    assert s.calls_this_week > s.calls_last_week > 0
    assert {t.detector for t in s.trend} >= {"pii", "secret", "injection", "toxicity"}


def test_findings_view_is_documented(demo: DemoLake) -> None:
    con = connect(demo.settings.lake_dir)
    try:
        n = con.execute("SELECT count(*) FROM findings").fetchone()[0]
        docs = con.execute(
            "SELECT column_name FROM duckdb_columns() "
            "WHERE table_name = 'findings' AND comment IS NOT NULL"
        ).fetchall()
        ledger = con.execute("SELECT sum(findings), count(*) FROM audits").fetchone()
        glob = demo.settings.lake_dir / "findings" / "*.parquet"
        distinct = con.execute(
            f"SELECT count(DISTINCT finding_id) FROM read_parquet('{glob}')"
        ).fetchone()[0]
    finally:
        con.close()
    # the view keeps one row per finding: a re-delivered call's findings count once
    assert n == distinct <= ledger[0]
    assert ledger[1] == len(demo.manifest.files)
    assert {"finding_id", "excerpt", "span_start", "span_end"} <= {d[0] for d in docs}


def test_a_reaudit_of_raw_text_finds_exactly_what_the_first_audit_found(
    demo: DemoLake, tmp_path: Path
) -> None:
    settings = get_settings(home=tmp_path / "home", user_hash_key="test-key", text_retention="keep")
    shutil.copytree(demo.raw_lake, settings.lake_dir)
    before = sorted(f["finding_id"] for f in _findings(settings))
    redo = run_audit(settings, reaudit=True, since="2025-03-09")
    assert 0 < len(redo.audited) < len(demo.manifest.files) and redo.retention.files == 0
    assert sorted(f["finding_id"] for f in _findings(settings)) == before


def test_rerun_adds_nothing_and_reaudit_replaces(demo: DemoLake) -> None:
    before = [f["finding_id"] for f in _findings(demo.settings)]
    again = run_audit(demo.settings)
    assert again.audited == [] and again.already_audited == len(demo.manifest.files)
    assert again.summary.findings == 0
    redo = run_audit(demo.settings, reaudit=True, since="2025-03-09")
    assert 0 < len(redo.audited) < len(demo.manifest.files)
    assert [f["finding_id"] for f in _findings(demo.settings)] == before


def test_streamed_slices_give_the_same_findings(demo: DemoLake) -> None:
    lake = demo.settings.lake_dir
    batch = max(demo.result.audited, key=lambda b: b.findings).batch_id
    whole = pq.read_table(lake / "findings" / f"{batch}.parquet")
    sliced = audit_batch(demo.settings, batch, chunk_rows=7)
    again = pq.read_table(lake / "findings" / f"{batch}.parquet")
    assert sliced.findings == whole.num_rows > 0
    cols = ["finding_id", "excerpt", "severity"]
    # the batch is redacted (text_retention: redact): its PII and secret findings are the
    # earlier ones, carried over, and the rescan of the redacted text finds the rest again
    assert sorted(again.select(cols).to_pylist(), key=str) == sorted(
        whole.select(cols).to_pylist(), key=str
    )


def test_selection_errors_name_the_input(demo: DemoLake) -> None:
    with pytest.raises(AuditError, match="nope"):
        select_batches(demo.settings, ["nope"])
    with pytest.raises(AuditError, match="yesterday"):
        select_batches(demo.settings, since="yesterday")
    assert select_batches(demo.settings, since="2030-01-01", reaudit=True).pending == []


def test_retracted_batches_lose_their_findings(settings: Settings, demo: DemoLake) -> None:
    src = demo.drop / "litellm-2025-03-02.jsonl"
    batch = ingest_paths([src], settings)[0].batch_id
    first = run_audit(settings)
    assert [a.batch_id for a in first.audited] == [batch] and first.audited[0].findings > 0
    (settings.lake_dir / "llm_calls" / f"{batch}.parquet").unlink()
    second = run_audit(settings)
    assert second.retracted == [batch]
    assert not (settings.lake_dir / "findings" / f"{batch}.parquet").exists()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("For verification my SSN is 078-05-1120.", "For verification my SSN is [NUMBER]."),
        ("call (555) 010-0340 now", "call ([NUMBER] now"),
        ("key AKIAENKONRUILTRFDGFI here", "key [TOKEN] here"),
        ("mail jane.doe@example.org!", "mail [EMAIL]!"),
        ("id a1b2c3d4e5f6g7h8 ok", "id [TOKEN] ok"),
        ("keeps [OPENAI_KEY] and order #A12345", "keeps [OPENAI_KEY] and order #A12345"),
        ("reach me on 99 99 99 tonight", "reach me on [NUMBER] tonight"),  # 6 digits: masked
        ("not answering at 999 9999", "not answering at [NUMBER]"),
        ("room 12345 at 10:30", "room 12345 at 10:30"),  # 5 digits stay
    ],
)
def test_residual_mask(text: str, masked: str) -> None:
    assert residual_mask(text) == masked


def test_excerpts_mask_a_neighbours_value_the_findings_own_span_left() -> None:
    from llmops.audit.scan import mask_excerpts

    excerpts = ["[EMAIL] wrote: my card is 4111 1111 1111 1111 and mail bob@example.org", None]
    assert mask_excerpts(excerpts).to_list() == [
        "[EMAIL] wrote: my card is [CARD] and mail [EMAIL]",
        "",
    ]


def _row(label: str, severity: str, n: int) -> CountRow:
    det = "secret" if label.endswith("key") else "pii"
    return CountRow(
        detector=det, label=label, severity=severity, direction="all", findings=n, calls=n
    )


@pytest.mark.parametrize(
    ("rows", "rules", "expected"),
    [
        ([_row("aws_key", "critical", 1)], GuardrailAlertRules(), ["aws_key:critical"]),
        ([_row("card", "high", 4)], GuardrailAlertRules(), []),
        ([_row("card", "high", 5)], GuardrailAlertRules(), ["card:high"]),
        ([_row("email", "medium", 99)], GuardrailAlertRules(), []),
        (
            [_row("email", "medium", 3)],
            GuardrailAlertRules(medium_min_findings=3),
            ["email:medium"],
        ),
        ([_row("aws_key", "critical", 1)], GuardrailAlertRules(critical_min_findings=None), []),
        (
            [_row("ip", "low", 2), _row("ip", "high", 1)],
            GuardrailAlertRules(label_min_findings={"ip": 3}),
            ["ip:high"],
        ),
    ],
)
def test_alert_thresholds(rows, rules, expected) -> None:
    got = [f"{a.label}:{a.severity}" for a in evaluate_alerts(rows, rules, ["b1"])]
    assert got == expected


def test_cli_audit_ingests_paths_then_audits(home: Path, demo: DemoLake, tmp_path: Path) -> None:
    from llmops.cli.main import app

    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(demo.drop / "litellm-2025-03-02.jsonl", logs)
    runner = CliRunner()
    out = runner.invoke(app, ["audit", str(logs)])
    assert out.exit_code == 0, out.output
    assert "1 batch(es) audited" in out.output and "aws_access_key" in out.output
    assert "AKIA" not in out.output
    again = runner.invoke(app, ["audit"])
    assert again.exit_code == 0 and "0 batch(es) audited (1 already audited)" in again.output
    bad = runner.invoke(app, ["audit", "--since", "soon"])
    assert bad.exit_code == 2 and "soon" in bad.output
