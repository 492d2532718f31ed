"""Which evals a model update or a merged prompt calls for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.builders.paths import REPO


@pytest.fixture
def prompts(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", path)
    monkeypatch.setenv("LLMOPS_PROMPTS_DIR", str(path))
    return path


def test_a_model_update_evaluates_every_champion_on_that_alias_and_a_merge_its_candidate(
    prompts: Path,
) -> None:
    from llmops.core.settings import get_settings
    from llmops.evals.affected import affected_evals
    from llmops.evals.plan import EvalError

    settings = get_settings()
    on_alias = affected_evals(settings, alias="candidate")
    assert {(a.prompt_ref, a.dataset) for a in on_alias} == {
        ("docs-qa-answer@champion", "docs-qa"),
        ("docs-qa-json@champion", "docs-qa"),
    }
    assert affected_evals(settings, alias="judge") == []

    # the merge changed the file: it is registered as the candidate and evaluated as such
    path = prompts / "docs-qa-answer.yaml"
    path.write_text(path.read_text().replace("support assistant", "support engineer"))
    (merged,) = affected_evals(settings, prompt="docs-qa-answer")
    assert merged.prompt_ref == "docs-qa-answer@candidate" and merged.dataset == "docs-qa"
    assert "candidate v2" in merged.why

    with pytest.raises(EvalError, match="no prompt named 'nope'"):
        affected_evals(settings, prompt="nope")
    with pytest.raises(EvalError, match="exactly one"):
        affected_evals(settings)
