"""`llmops status`: the four operator questions answered from the warehouse and MLflow, and the
collector's health when one runs in this home.

(a) what are we spending, (b) how are outputs performing against baseline, (c) the top injection
patterns and PII findings this week, (d) the last prompt change and how to roll it back. The
MLflow registry is read in a background thread while DuckDB answers the rest (in memory, over
the lake: no warehouse file lock), so the command costs about one MLflow start-up.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from llmops.status.models import Missing, Status

if TYPE_CHECKING:
    from llmops.core.settings import Settings

DEFAULT_MLFLOW_TIMEOUT = 8.0


def collect_status(
    settings: Settings, mlflow_timeout: float = DEFAULT_MLFLOW_TIMEOUT, now: datetime | None = None
) -> Status:
    """Answer the four questions; sections without data say what is missing and how to fill it."""
    import threading

    from llmops.collector.health import read_health
    from llmops.core.settings.audit import retention_label
    from llmops.lake.warehouse import connect
    from llmops.status import prompts as sp
    from llmops.status import warehouse as sw

    started = time.perf_counter()
    now = now or datetime.now(UTC)
    registry: dict[str, object] = {}
    reader = threading.Thread(
        target=lambda: registry.update(result=sp.read_registry_bounded(settings, mlflow_timeout)),
        name="llmops-status-registry",
        daemon=True,
    )
    reader.start()  # MLflow's import and start-up overlap with the DuckDB queries below
    con = connect(settings.lake_dir)
    try:
        end = sw.data_end(con)
        spend = sw.spend(con, end, now)
        quality = sw.quality(con)
        guardrails = sw.guardrails(con, end).model_copy(
            update={"text_retention": retention_label(settings.text_retention)}
        )
        version_runs = sw.version_runs(con)
        promotions = sw.promotions(con)
        collector = read_health(settings, con)
    finally:
        con.close()
    reader.join(mlflow_timeout + 1.0)
    states, missing, seconds = registry.get("result") or (
        None,
        Missing(what="MLflow registry read did not finish", fill="llmops prompts list"),
        mlflow_timeout,
    )
    prompts = sp.prompts_section(
        states, missing, seconds, settings.mlflow_uri, version_runs, promotions
    )
    return Status(
        generated_at=now,
        home=str(settings.home),
        seconds=round(time.perf_counter() - started, 3),
        spend=spend,
        quality=quality,
        guardrails=guardrails,
        prompts=prompts,
        collector=collector,
    )
