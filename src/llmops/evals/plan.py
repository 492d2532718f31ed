"""What an eval run evaluates: dataset version, prompt version, model, suite and baseline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from llmops.core.errors import LlmopsError
from llmops.core.settings import Settings

if TYPE_CHECKING:
    from llmops.datasets.manifest import Manifest
    from llmops.datasets.schema import Item
    from llmops.prompts import RegisteredPrompt

Trigger = Literal["schedule", "model_update", "prompt_merge", "manual"]
SUITE_FILE = "suite.yaml"


class EvalError(LlmopsError):
    """An eval run cannot start: unknown dataset, prompt, suite or baseline."""


class EvalTarget(BaseModel):
    """One side of a comparison: a prompt version on a dataset version with a model alias."""

    dataset: str
    dataset_version: str
    prompt_name: str
    prompt_version: str
    prompt_hash: str
    prompt_commit: str | None
    model_alias: str
    requested_model: str
    suite_path: Path
    limit: int | None = None


class EvalPlan(BaseModel):
    """The candidate, how its baseline is found, and whether the champion must run first."""

    candidate: EvalTarget
    trigger: Trigger
    baseline_run_id: str | None
    baseline_note: str
    champion_first: EvalTarget | None = None
    is_champion: bool


def split_ref(ref: str) -> tuple[str, str | None]:
    """`name@version` -> (name, version or None)."""
    name, _, version = ref.partition("@")
    return name, version or None


def requested_model(settings: Settings, alias: str) -> str:
    """The litellm model an alias resolves to (the alias itself when it is not configured)."""
    models = getattr(settings, "models", None) or {}
    cfg = models.get(alias) if isinstance(models, dict) else None
    return getattr(cfg, "model", None) or alias


def suite_path(settings: Settings, dataset: str) -> Path:
    """The dataset's metric suite (`datasets/<name>/suite.yaml`)."""
    path = settings.datasets_dir / dataset / SUITE_FILE
    if not path.exists():
        raise EvalError(f"{path}: no metric suite for dataset {dataset!r}")
    return path


def target(
    settings: Settings,
    manifest: Manifest,
    prompt: RegisteredPrompt,
    model: str | None,
    limit: int | None,
    suite: Path | None = None,
) -> EvalTarget:
    """An EvalTarget for a resolved dataset version and prompt version."""
    alias = model or prompt.spec.model
    if suite is not None and not suite.exists():
        raise EvalError(f"{suite}: metric suite not found")
    return EvalTarget(
        dataset=manifest.name,
        dataset_version=manifest.version,
        prompt_name=prompt.name,
        prompt_version=str(prompt.version),
        prompt_hash=prompt.content_hash,
        prompt_commit=prompt.git_commit,
        model_alias=alias,
        requested_model=requested_model(settings, alias),
        suite_path=suite or suite_path(settings, manifest.name),
        limit=limit,
    )


def select_items(items: list[Item], limit: int | None) -> list[Item]:
    """The items evaluated: all, or the first `limit` by id (deterministic)."""
    ordered = sorted(items, key=lambda i: i.id)
    return ordered[:limit] if limit else ordered


def make_plan(
    settings: Settings,
    dataset_ref: str,
    prompt_ref: str,
    model: str | None,
    trigger: Trigger,
    baseline: str = "auto",
    limit: int | None = None,
    suite: Path | None = None,
) -> EvalPlan:
    """Resolve references and the baseline.

    `baseline`: "auto" = the champion's last complete run on this dataset (the champion runs first
    in this flow when it has none and the candidate is another version), "none", or a run id.
    """
    from llmops.datasets.errors import DatasetError
    from llmops.datasets.store import DatasetStore
    from llmops.evals.tracking import find_baseline
    from llmops.prompts import PromptRegistry

    limit = limit if limit is not None else settings.evals.limit
    name, version = split_ref(dataset_ref)
    try:
        manifest = DatasetStore(settings.datasets_dir).resolve(name, version)
    except DatasetError as exc:
        raise EvalError(f"dataset {dataset_ref!r}: {exc}") from exc
    registry = PromptRegistry(settings)
    registry.sync_all(settings.prompts_dir)
    prompt_name, prompt_version = split_ref(prompt_ref)
    prompt = registry.resolve(prompt_name, prompt_version)
    champion = registry.resolve(prompt_name, "champion")
    candidate = target(settings, manifest, prompt, model, limit, suite)
    is_champion = prompt.version == champion.version
    if baseline == "none":
        return EvalPlan(
            candidate=candidate,
            trigger=trigger,
            baseline_run_id=None,
            baseline_note="none requested",
            is_champion=is_champion,
        )
    if baseline != "auto":
        return EvalPlan(
            candidate=candidate,
            trigger=trigger,
            baseline_run_id=baseline,
            baseline_note=f"run {baseline} (given)",
            is_champion=is_champion,
        )
    found = find_baseline(
        settings.mlflow_uri, prompt_name, str(champion.version), manifest.name, manifest.version
    )
    if found is not None:
        note = f"champion v{champion.version}'s last run {found}"
        return EvalPlan(
            candidate=candidate,
            trigger=trigger,
            baseline_run_id=found,
            baseline_note=note,
            is_champion=is_champion,
        )
    first = None if is_champion else target(settings, manifest, champion, model, limit, suite)
    note = f"champion v{champion.version} has no run on {manifest.name}: " + (
        "this run becomes the baseline" if is_champion else "it runs first in this flow"
    )
    return EvalPlan(
        candidate=candidate,
        trigger=trigger,
        baseline_run_id=None,
        baseline_note=note,
        champion_first=first,
        is_champion=is_champion,
    )
