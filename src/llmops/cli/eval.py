"""`llmops eval`: run an evaluation (the eval-run flow) and list recent runs.

Prefect, MLflow, litellm, ragas and deepeval are imported inside the commands.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

eval_app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


class TriggerName(StrEnum):
    manual = "manual"
    schedule = "schedule"
    model_update = "model_update"
    prompt_merge = "prompt_merge"


@eval_app.command("run")
def run(
    dataset: Annotated[str, typer.Option(help="dataset[@version]")] = "docs-qa",
    prompt: Annotated[
        str, typer.Option(help="prompt[@version|champion|candidate]")
    ] = "docs-qa-answer",
    model: Annotated[str | None, typer.Option(help="model alias (default: the prompt's)")] = None,
    trigger: Annotated[TriggerName, typer.Option(help="why this run happens")] = TriggerName.manual,
    baseline: Annotated[
        str, typer.Option(help="auto (champion's last run), none, or an MLflow run id")
    ] = "auto",
    promote: Annotated[bool, typer.Option(help="move the champion alias here on pass")] = False,
    max_usd: Annotated[float | None, typer.Option(help="stop cleanly past this spend")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="LLM calls in flight")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="evaluate the first N items")] = None,
    suite: Annotated[
        str | None, typer.Option(help="metric suite YAML (default: dataset's)")
    ] = None,
) -> None:
    """Evaluate a prompt on a golden dataset, compare with the baseline, print the verdict."""
    import asyncio

    from rich.console import Console
    from rich.markdown import Markdown

    from flows.eval_run import eval_run
    from llmops.core.errors import LlmopsError
    from llmops.core.offline import apply_offline_defaults
    from llmops.evals.errors import EvalGateFailed

    apply_offline_defaults()
    console = Console()
    try:
        result = asyncio.run(
            eval_run(
                dataset=dataset,
                prompt=prompt,
                model=model,
                trigger=trigger.value,
                baseline=baseline,
                promote=promote,
                max_usd=max_usd,
                concurrency=concurrency,
                limit=limit,
                suite=suite,
            )
        )
    except EvalGateFailed as exc:
        typer.secho(f"gate failed: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    except LlmopsError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    console.print(Markdown(result.report))


@eval_app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, help="newest N runs")] = 20,
) -> None:
    """Recent eval runs from the warehouse: verdict, prompt, dataset, served model, cost."""
    from rich.console import Console
    from rich.table import Table

    from llmops.core.settings import get_settings
    from llmops.lake.warehouse import connect

    con = connect(get_settings().lake_dir)
    rows = con.sql(
        "SELECT started_at, prompt_name || '@v' || prompt_version, dataset, trigger, role, "
        "verdict, served_model, round(cost_usd, 4), run_id FROM eval_runs "
        f"ORDER BY started_at DESC LIMIT {int(limit)}"
    ).fetchall()
    table = Table(
        "started", "prompt", "dataset", "trigger", "role", "verdict", "served", "$", "run"
    )
    for row in rows:
        table.add_row(*(str(v) for v in row))
    Console().print(table if rows else "no eval runs yet: run `llmops eval run`")
