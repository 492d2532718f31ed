"""The eval-run flow end to end: real Prefect server, real simulator over HTTP, real MLflow."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.builders.eval_suite import SMALL_SUITE
from tests.builders.paths import REPO
from tests.builders.prefect_api import events

ITEMS = 30  # enough pairs for the gate (min 20) while keeping the test quick


@pytest.fixture
def eval_home(home: Path, datasets_dir: Path, tmp_path: Path, monkeypatch, fresh_simulator):
    """A home with the docs-qa seed, the repo's prompts in a temp folder and a small suite."""
    shutil.copytree(REPO / "datasets" / "docs-qa", datasets_dir / "docs-qa")
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    monkeypatch.setenv("LLMOPS_PROMPTS_DIR", str(prompts))
    suite = tmp_path / "suite.yaml"
    suite.write_text(SMALL_SUITE)
    return {"prompts": prompts, "suite": str(suite), "simulator": fresh_simulator}


def _run(suite: str, **kwargs):
    from flows.eval_run import eval_run

    return asyncio.run(eval_run(limit=ITEMS, suite=suite, **kwargs))


def _mlflow_run(settings, run_id: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=settings.mlflow_uri).get_run(run_id)


def _lake_runs(settings) -> list[tuple]:
    from llmops.lake.warehouse import connect

    return (
        connect(settings.lake_dir)
        .execute("SELECT role, trigger, verdict, served_model FROM eval_runs ORDER BY started_at")
        .fetchall()
    )


def test_unchanged_model_passes_and_a_degraded_model_update_fails(
    prefect_server, eval_home, settings
) -> None:
    from llmops.evals.errors import EvalGateFailed

    first = _run(eval_home["suite"])
    assert first.verdict == "baseline" and first.baseline_run_id is None
    assert first.simulated and first.served_model.endswith("-sim-v1")
    assert "provider simulator" in first.report

    again = _run(eval_home["suite"], trigger="schedule")
    assert again.verdict in {"pass", "inconclusive"}
    assert again.baseline_run_id == first.run_id

    eval_home["simulator"].bump()
    with pytest.raises(EvalGateFailed, match="significant drop in faithfulness"):
        _run(eval_home["suite"], trigger="model_update")

    rows = _lake_runs(settings)
    assert [r[:3] for r in rows] == [
        ("candidate", "manual", "baseline"),
        ("candidate", "schedule", again.verdict),
        ("candidate", "model_update", "fail"),
    ]
    assert rows[-1][3].endswith("-sim-v2")

    from llmops.lake.warehouse import connect

    drop = (
        connect(settings.lake_dir)
        .execute(
            "SELECT delta, ci_high, p_value, verdict FROM eval_metrics "
            "WHERE metric = 'faithfulness' ORDER BY started_at DESC LIMIT 1"
        )
        .fetchone()
    )
    assert drop[0] < -0.05 and drop[1] < 0 and drop[2] < 0.05 and drop[3] == "fail"

    failed_run_id = (
        connect(settings.lake_dir)
        .execute("SELECT run_id FROM eval_runs WHERE verdict = 'fail'")
        .fetchone()[0]
    )
    run = _mlflow_run(settings, failed_run_id)
    params = run.data.params
    assert params["dataset_digest"] == params["dataset_version"]
    assert params["prompt_version"] == "1" and params["trigger"] == "model_update"
    assert params["served_model"].endswith("-sim-v2")
    assert run.data.tags["llmops.eval.verdict"] == "fail"
    assert run.data.metrics["faithfulness.delta"] < 0
    assert run.inputs.dataset_inputs[0].dataset.digest == params["dataset_digest"]

    done = events(
        "llmops.eval.completed",
        until=lambda evs: any(e["payload"].get("run_id") == failed_run_id for e in evs),
    )
    (mine,) = [e for e in done if e["payload"]["run_id"] == failed_run_id]
    assert mine["payload"]["verdict"] == "fail"
    assert mine["payload"]["served_model"].endswith("-sim-v2")


def test_injected_errors_are_retried_and_the_items_still_failing_are_reported(
    prefect_server, eval_home, settings, monkeypatch
) -> None:
    eval_home["simulator"].configure(error_rate=0.2, timeout_share=0.0)
    result = _run(eval_home["suite"], baseline="none")
    assert result.llm_calls > 0
    from llmops.lake.warehouse import connect

    con = connect(settings.lake_dir)
    assert f"Items that failed ({result.failed_items})" in result.report
    assert "retries" in result.report
    retries = int(result.report.split(" retries")[0].rsplit("· ", 1)[1])
    assert retries > 0  # 20% of requests failed at first and were retried

    # with retries switched off some answers fail for good: the run still completes and lists them
    monkeypatch.setenv("LLMOPS_MODELS__CANDIDATE__MAX_RETRIES", "0")
    eval_home["simulator"].reset()
    eval_home["simulator"].configure(error_rate=0.2, timeout_share=0.0)
    strict = _run(eval_home["suite"], baseline="none")
    failed_gen = con.execute(
        f"SELECT item_id FROM eval_results WHERE run_id = '{strict.run_id}' "
        "AND metric = 'generation' AND error IS NOT NULL"
    ).fetchall()
    assert 0 < len(failed_gen) < ITEMS
    assert "**generation**" in strict.report
    for (item_id,) in failed_gen[:10]:
        assert item_id in strict.report


def test_champion_moves_only_on_pass_and_rollback_restores_it(
    prefect_server, eval_home, settings
) -> None:
    from llmops.evals.errors import EvalGateFailed
    from llmops.prompts import PromptRegistry

    registry = PromptRegistry(settings)
    path = eval_home["prompts"] / "docs-qa-answer.yaml"
    original = path.read_text()
    registry.sync_all(eval_home["prompts"])
    v1 = registry.resolve("docs-qa-answer").version

    # a harmless wording change: the champion runs first as the baseline, the candidate passes
    path.write_text(original.replace("support assistant", "helpful support assistant"))
    ok = _run(eval_home["suite"], prompt="docs-qa-answer@candidate", promote=True)
    assert ok.verdict == "pass" and ok.promoted
    v2 = registry.resolve("docs-qa-answer").version
    assert v2 != v1

    # a change that drops the documents from the prompt: ungrounded answers, the gate fails
    broken = original.replace("{{ contexts }}", "(no documents today)").replace(
        "variables: [contexts, question]", "variables: [question]"
    )
    path.write_text(broken)
    with pytest.raises(EvalGateFailed):
        _run(eval_home["suite"], prompt="docs-qa-answer@candidate", promote=True)
    assert registry.resolve("docs-qa-answer").version == v2  # not promoted

    old, new = registry.rollback("docs-qa-answer")
    assert (old.version, new.version) == (v2, v1)
    assert (
        registry.resolve("docs-qa-answer").content_hash
        == registry.get("docs-qa-answer", v1).content_hash
    )


def test_the_usd_cap_stops_the_run_cleanly_and_it_never_becomes_a_baseline(
    prefect_server, eval_home, settings
) -> None:
    from llmops.gateway import BudgetExceeded

    with pytest.raises(BudgetExceeded, match="USD cap reached"):
        _run(eval_home["suite"], max_usd=0.001)
    assert _lake_runs(settings) == []
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=settings.mlflow_uri)
    exp = client.get_experiment_by_name("llmops-evals")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.info.status == "FAILED"
    assert "USD cap" in run.data.tags["llmops.eval.error"]
    assert "llmops.eval.complete" not in run.data.tags
