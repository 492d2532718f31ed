"""One model-watch round without Prefect: probe, decide, write (the flow runs the same steps)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from llmops.core.errors import LlmopsError
from llmops.model_watch.detect import ModelUpdate, Observation, decide, error_observation, update_of
from llmops.model_watch.probe import Probe, probe_alias
from llmops.model_watch.store import (
    compact_observations,
    last_observations,
    write_observations,
)

if TYPE_CHECKING:
    from llmops.core.settings import Settings
    from llmops.gateway import Gateway


class ModelWatchError(LlmopsError):
    """Some aliases could not be probed (the others were recorded)."""


class WatchResult(BaseModel):
    """A watch round: every row written and the updates declared."""

    probe_id: str
    observations: list[Observation]
    updates: list[ModelUpdate]
    failed: dict[str, str] = Field(default_factory=dict)


def watch_targets(settings: Settings, aliases: list[str] | None = None) -> list[str]:
    """Aliases to probe: the given ones, the configured list, or every chat alias."""
    wanted = aliases or settings.model_watch.aliases
    if wanted is None:
        return [name for name, a in settings.models.items() if a.kind == "chat"]
    for name in wanted:
        if name not in settings.models:
            raise LlmopsError(
                f"model_watch.aliases: unknown alias {name!r} "
                f"(configured: {', '.join(sorted(settings.models))})"
            )
        if settings.models[name].kind != "chat":
            raise LlmopsError(
                f"model_watch.aliases: {name!r} is of kind {settings.models[name].kind}; "
                "only chat models are probed"
            )
    return list(wanted)


def watch_gateway(settings: Settings) -> Gateway:
    """A gateway for probes: no fallbacks (a fallback's answer is not the alias' identity)."""
    from llmops.gateway import Gateway

    models = {n: a.model_copy(update={"fallbacks": []}) for n, a in settings.models.items()}
    return Gateway(
        settings.model_copy(update={"models": models}),
        usd_cap=settings.model_watch.usd_cap,
        purpose="model-watch",
    )


def probe(settings: Settings, alias: str) -> Probe:
    """Probe one alias (blocking)."""
    return asyncio.run(probe_alias(watch_gateway(settings), alias))


def record(
    settings: Settings,
    probe_id: str,
    probes: list[Probe],
    failed: dict[str, str] | None = None,
) -> WatchResult:
    """Decide each probe against its alias' last row, write the rows, return the updates."""
    lake = settings.lake_dir
    previous = last_observations(lake)
    cfg = settings.model_watch
    rows: list[Observation] = []
    updates: list[ModelUpdate] = []
    for p in probes:
        row = decide(previous.get(p.alias), p, probe_id, cfg.drift_probes, cfg.drift_threshold)
        rows.append(row)
        if (update := update_of(previous.get(p.alias), row)) is not None:
            updates.append(update)
    now = datetime.now(UTC)
    for alias, error in (failed or {}).items():
        rows.append(error_observation(previous.get(alias), alias, probe_id, now, error))
    write_observations(lake, probe_id, rows)
    compact_observations(lake, now.date())
    return WatchResult(probe_id=probe_id, observations=rows, updates=updates, failed=failed or {})


def run_watch(settings: Settings, aliases: list[str] | None = None) -> WatchResult:
    """Probe every target alias one after the other, then record (the CLI's path)."""
    import uuid

    probes: list[Probe] = []
    failed: dict[str, str] = {}
    for alias in watch_targets(settings, aliases):
        try:
            probes.append(probe(settings, alias))
        except Exception as exc:  # noqa: BLE001 - recorded as an 'error' row, reported
            failed[alias] = f"{type(exc).__name__}: {exc}"
    return record(settings, uuid.uuid4().hex, probes, failed)
