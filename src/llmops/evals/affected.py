"""Which evals a change calls for: every (prompt, dataset) pair using an alias, or one prompt."""

from __future__ import annotations

from pydantic import BaseModel

from llmops.core.settings import Settings


class AffectedEval(BaseModel):
    """One eval to run because something changed."""

    prompt_ref: str
    dataset: str
    why: str
    verdict: str | None = None
    run_id: str | None = None


def affected_evals(
    settings: Settings, alias: str | None = None, prompt: str | None = None
) -> list[AffectedEval]:
    """Evals for the prompts in the prompts folder that use `alias`, or for the prompt `prompt`.

    Prompts are synced to the registry first, so a merged change is its `candidate` version.
    """
    from llmops.evals.plan import EvalError
    from llmops.prompts import CANDIDATE, CHAMPION, PromptRegistry, load_specs

    if (alias is None) == (prompt is None):
        raise EvalError("give exactly one of alias (a model update) or prompt (a prompt change)")
    registry = PromptRegistry(settings)
    registry.sync_all(settings.prompts_dir)
    specs = load_specs(settings.prompts_dir)
    out: list[AffectedEval] = []
    for spec in specs:
        if alias is not None and spec.model != alias:
            continue
        if prompt is not None and spec.name != prompt:
            continue
        summary = registry.summary(spec.name)
        if prompt is not None and summary.candidate is not None:
            ref, why = f"{spec.name}@{CANDIDATE}", f"candidate v{summary.candidate} vs champion"
        else:
            ref = f"{spec.name}@{CHAMPION}"
            why = f"model alias {alias!r} updated" if alias else "champion (no candidate)"
        out += [
            AffectedEval(prompt_ref=ref, dataset=d.split("@")[0], why=why) for d in spec.datasets
        ]
    if prompt is not None and not out:
        raise EvalError(f"{settings.prompts_dir}: no prompt named {prompt!r} with datasets to eval")
    return out
