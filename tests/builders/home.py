"""A home filled by the real pipelines, for `llmops status` and the analyst notebooks.

Simulated traffic (a copy of the session's ingested and audited lake, `build_demo_lake` in
tests/builders/audit.py; then the cost rollup and the guardrail audit in the home), the model
watch against the provider simulator, and the eval-run flow on the real Prefect server: a
baseline, a prompt change promoted on a pass, then a model update (simulator bump) that fails
the gate.

`session_home` fills one such home per test session (about a minute of pipelines) for every
module that reads it: tests/llmops/status/test_collect.py and tests/test_notebooks.py.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.builders.audit import DemoLake, build_demo_lake
from tests.builders.eval_suite import SMALL_SUITE
from tests.builders.paths import REPO

EVAL_ITEMS = 30  # enough pairs for the gate (min 20)
PROMPT = "docs-qa-answer"


@dataclass(frozen=True)
class Populated:
    """A home filled by the pipelines and what was planted in it."""

    home: Path
    manifest: object  # llmops.simulators.traffic.generate.TrafficManifest
    user_hash_key: str


def populate_home(
    home: Path, simulator, traffic: DemoLake, user_hash_key: str = "test-key"
) -> Populated:
    """Run the real pipelines into `home` (needs the prefect_server and simulator fixtures).

    The traffic is the session's simulated lake (`build_demo_lake`: ten days ingested and
    audited once), copied in; the cost rollup and the audit then run over it in this home.
    """
    from llmops.audit.run import run_audit
    from llmops.costs.rollup import run_rollup

    datasets, prompts, suite = home / "datasets", home / "prompts", home / "suite.yaml"
    shutil.copytree(REPO / "datasets" / "docs-qa", datasets / "docs-qa")
    shutil.copytree(REPO / "prompts", prompts)
    suite.write_text(SMALL_SUITE)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLMOPS_HOME", str(home))
        mp.setenv("LLMOPS_USER_HASH_KEY", user_hash_key)
        mp.setenv("LLMOPS_DATASETS_DIR", str(datasets))
        mp.setenv("LLMOPS_PROMPTS_DIR", str(prompts))
        from flows.eval_run import eval_run
        from llmops.core.settings import get_settings
        from llmops.evals.errors import EvalGateFailed
        from llmops.model_watch.watch import run_watch
        from llmops.prompts import PromptRegistry

        settings = get_settings()
        shutil.copytree(traffic.snapshot, settings.lake_dir)
        run_rollup(settings)
        run_audit(settings)

        def evaluate(**kwargs):
            return asyncio.run(eval_run(limit=EVAL_ITEMS, suite=str(suite), **kwargs))

        simulator.reset()
        try:
            registry = PromptRegistry(settings)
            registry.sync_all(prompts)  # v1 of each prompt = champion
            run_watch(settings, ["candidate"])  # baseline identity of the served model
            evaluate()  # the first run of the champion: verdict baseline
            path = prompts / f"{PROMPT}.yaml"
            path.write_text(
                path.read_text().replace("support assistant", "helpful support assistant")
            )
            registry.sync_all(prompts)  # v2 = candidate
            evaluate(prompt=f"{PROMPT}@candidate", trigger="prompt_merge", promote=True)
            simulator.bump()  # the provider silently serves a worse model
            run_watch(settings, ["candidate"])
            with pytest.raises(EvalGateFailed):
                evaluate(trigger="model_update")
        finally:
            simulator.reset()
    return Populated(home=home, manifest=traffic.manifest, user_hash_key=user_hash_key)


@functools.cache
def session_home(base: Path, simulator) -> Populated:
    """One home filled by `populate_home` per session (`base`: the session's base temp dir).

    Its readers only read it, but for the status rollback test, which moves the champion alias
    (and its history tag) in the prompt registry, mlflow.db, and nothing else: the notebooks
    read only the lake.
    """
    return populate_home(base / "session-home" / "home", simulator, build_demo_lake(base))
