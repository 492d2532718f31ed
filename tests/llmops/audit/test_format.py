"""The audit's format detector: calls checked against their prompt version's registered schema."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml

from llmops.audit.format import exact_ref, prompt_refs, resolve_scope
from llmops.audit.report import audit_report
from llmops.audit.run import run_audit
from llmops.core.settings import Settings
from llmops.ingest import ingest_paths
from llmops.lake.warehouse import connect
from llmops.prompts import PromptRegistry, RegisteredPrompt, load_spec
from tests.builders.paths import REPO

REPO_PROMPT = REPO / "prompts" / "docs-qa-json.yaml"
EMAIL = "jane.roe@example.com"
CARD = "4111 1111 1111 1111"
VALID = json.dumps({"answer": "Use a cluster policy.", "sources": [1, 2]})


@pytest.fixture(scope="module")
def empty_mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow sqlite database with its tables created (migrations run once per module)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    uri = f"sqlite:///{path}"
    assert list(MlflowClient(tracking_uri=uri, registry_uri=uri).search_prompts()) == []
    return path


def register_two_versions(settings: Settings, folder: Path) -> tuple[RegisteredPrompt, ...]:
    """docs-qa-json v1 as shipped; v2 also requires a `confidence` number."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "docs-qa-json.yaml"
    shutil.copy(REPO_PROMPT, path)
    registry = PromptRegistry(settings)
    v1 = registry.sync(load_spec(path))
    data = yaml.safe_load(path.read_text())
    data["output_schema"]["properties"]["confidence"] = {"type": "number"}
    data["output_schema"]["required"].append("confidence")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    v2 = registry.sync(load_spec(path))
    assert (v1.version, v2.version) == (1, 2)
    return v1, v2


def call(n: int, version: str | None, output: str, prompt: str = "docs-qa-json") -> dict:
    """One generic-format log record."""
    return {
        "call_id": f"call-{n:03d}",
        "started_at": f"2025-03-10T10:{n % 60:02d}:00Z",
        "model": "gpt-4o-mini",
        "prompt_name": prompt,
        "prompt_version": version,
        "input_tokens": 120,
        "output_tokens": 30,
        "input_text": "Question: how do I limit cluster size?",
        "output_text": output,
    }


@pytest.fixture
def registered(settings: Settings, tmp_path: Path, empty_mlflow_db: Path) -> tuple:
    target = settings.home / "mlflow.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(empty_mlflow_db) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return register_two_versions(settings, tmp_path / "prompts")


def findings(settings: Settings, detector: str) -> dict[str, dict]:
    con = connect(settings.lake_dir)
    try:
        cur = con.execute("SELECT * FROM findings WHERE detector = ?", [detector])
        names = [d[0] for d in cur.description]
        return {r[names.index("call_id")]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
    finally:
        con.close()


def test_outputs_are_checked_against_the_schema_of_their_own_version(
    settings: Settings, registered: tuple, tmp_path: Path
) -> None:
    v1, _ = registered
    records = [
        call(1, "1", VALID),  # valid for v1 (v2 would want `confidence`: an old call stays valid)
        call(2, "1", "```json\n" + VALID + "\n```"),  # a fenced block is accepted
        call(3, "1", '{"answer": "Use a policy.", "sources": [1'),  # truncated
        call(4, "1", "I think you should use a cluster policy."),  # prose
        call(5, "1", json.dumps({"answer": f"Mail {EMAIL}", "sources": "1"})),  # wrong type
        call(6, "v1", json.dumps({"answer": f"Card {CARD} noted"})),  # `sources` missing
        call(7, "v2", VALID),  # v2 requires confidence
        call(8, "v2", json.dumps({"answer": "x", "sources": [1], "confidence": 0.9})),
        call(9, v1.content_hash[:8], '{"answer": 1}'),  # hash prefix of v1 resolves
        call(10, "champion", "not json"),  # an alias moves: not trusted, not checked
        call(11, "v9", "not json"),  # no such version
        call(12, None, "not json"),  # no version at all
        call(13, "v4", "not json", prompt="support-answer"),  # prompt not registered
    ]
    log = tmp_path / "drop" / "docs-qa-json.jsonl"
    log.parent.mkdir()
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    ingest_paths([log], settings)

    result = run_audit(settings)

    found = findings(settings, "format")
    labels = {cid: f["label"] for cid, f in found.items()}
    assert labels == {
        "call-003": "invalid_json",
        "call-004": "invalid_json",
        "call-005": "schema_violation",
        "call-006": "schema_violation",
        "call-007": "schema_violation",
        "call-009": "schema_violation",
    }
    assert {f["severity"] for f in found.values()} == {"medium"}
    assert {f["direction"] for f in found.values()} == {"output"}
    assert "$.sources: fails 'type'" in found["call-005"]["excerpt"]
    assert "'required'" in found["call-006"]["excerpt"]
    assert "confidence" in found["call-007"]["excerpt"]
    # masked excerpt of the output, never the raw personal data
    assert EMAIL not in found["call-005"]["excerpt"] and "[EMAIL]" in found["call-005"]["excerpt"]
    assert CARD not in found["call-006"]["excerpt"] and "[CARD]" in found["call-006"]["excerpt"]

    s = result.summary
    assert "format" in s.detectors
    assert s.format_checked == 9  # calls 1-9
    assert s.format_unknown_version == 3  # champion, v9, no version
    assert s.format_unknown_refs == [
        "docs-qa-json@(none)",
        "docs-qa-json@champion",
        "docs-qa-json@v9",
    ]
    assert s.format_unregistered == 1
    assert result.audited[0].format_checked == 9
    report = audit_report(result)
    assert "## Output format" in report
    assert "Format not checked: unknown prompt version: 3 call(s)" in report
    assert "`docs-qa-json@v9`" in report
    assert EMAIL not in report and CARD not in report

    con = connect(settings.lake_dir)
    try:
        ledger = con.execute(
            "SELECT format_checked, format_unknown_version, format_unknown_refs, "
            "format_unregistered, detectors FROM audits"
        ).fetchall()
        format_counts = dict(
            con.execute(
                "SELECT label, count(*) FROM findings WHERE detector = 'format' GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    assert ledger[0][:2] == (9, 3) and ledger[0][3] == 1 and "format" in ledger[0][4]
    assert "docs-qa-json@champion" in ledger[0][2]
    assert format_counts == {"invalid_json": 2, "schema_violation": 4}


def test_each_distinct_prompt_version_is_resolved_once(
    settings: Settings, registered: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolved: list[tuple[str, str]] = []
    original = PromptRegistry.resolve

    def counting(self: PromptRegistry, name: str, ref: str | int | None = None) -> object:
        resolved.append((name, str(ref)))
        return original(self, name, ref)

    monkeypatch.setattr(PromptRegistry, "resolve", counting)
    log = tmp_path / "many.jsonl"
    rows = [call(i, "1" if i % 2 else "v2", VALID) for i in range(40)]
    rows += [call(40 + i, "champion", VALID) for i in range(5)]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ingest_paths([log], settings)

    result = run_audit(settings)

    assert sorted(resolved) == [("docs-qa-json", "1"), ("docs-qa-json", "v2")]
    assert result.summary.format_checked == 40
    assert result.summary.format_unknown_version == 5
    # VALID lacks v2's `confidence`: exactly the 20 calls at v2 break their schema
    assert len(findings(settings, "format")) == 20


def test_refs_that_are_trusted() -> None:
    assert exact_ref("3") == "3" and exact_ref(" V3 ") == "v3"
    assert exact_ref("A1B2C3D4") == "a1b2c3d4"
    assert exact_ref("champion") is None and exact_ref("abc") is None and exact_ref(None) is None


def test_without_a_registry_the_audit_runs_as_before(settings: Settings, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    log.write_text("".join(json.dumps(call(i, "1", "not json")) + "\n" for i in range(3)))
    ingest_paths([log], settings)
    refs = prompt_refs(next((settings.lake_dir / "llm_calls").glob("[!_]*.parquet")))
    assert refs.rows() == [("docs-qa-json", "1", 3)]

    scope = resolve_scope(settings, refs)
    result = run_audit(settings)

    assert not scope.active and scope.checked == scope.unknown_version == 0
    assert not (settings.home / "mlflow.db").exists()  # the registry was not created
    assert findings(settings, "format") == {}
    assert result.summary.format_checked == 0 and result.summary.format_unknown_version == 0
