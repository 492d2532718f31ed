"""What one eval run reads before it calls a model: items, prompt spec, metric suite."""

from __future__ import annotations

from pydantic import BaseModel

from llmops.core.settings import Settings
from llmops.datasets.schema import Item
from llmops.evals.metrics.models import Suite
from llmops.evals.plan import EvalTarget, select_items
from llmops.prompts.spec import PromptSpec


class EvalInputs(BaseModel):
    """The dataset version's items (limited), the prompt version's spec and the metric suite."""

    items: list[Item]
    spec: PromptSpec
    suite: Suite


def load_inputs(settings: Settings, target: EvalTarget) -> EvalInputs:
    """Read the items of the dataset version, the prompt version's spec and the metric suite."""
    from llmops.datasets.store import DatasetStore
    from llmops.evals.metrics import load_suite
    from llmops.prompts import PromptRegistry

    store = DatasetStore(settings.datasets_dir)
    items = select_items(store.items(target.dataset, target.dataset_version), target.limit)
    spec = PromptRegistry(settings).resolve(target.prompt_name, target.prompt_version).spec
    return EvalInputs(items=items, spec=spec, suite=load_suite(target.suite_path))
