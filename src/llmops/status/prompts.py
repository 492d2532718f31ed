"""The MLflow half of `llmops status`: the last prompt change and its rollback command.

The registry is read in a daemon thread with a deadline, so a slow or unreachable tracking
server costs at most `timeout` seconds. A sqlite registry that does not exist yet is reported as
missing without being created (creating one runs MLflow's migrations, several seconds).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from llmops.status.models import Missing, PromptChange, PromptLine, Prompts, RunRef

if TYPE_CHECKING:
    from llmops.core.settings import Settings

FILL_PROMPTS = "llmops prompts sync  (or `make demo`)"


@dataclass(frozen=True)
class VersionInfo:
    """When a version was registered, its content hash and git commit."""

    registered_at: datetime | None
    content_hash: str
    git_commit: str | None


@dataclass(frozen=True)
class PromptState:
    """One registered prompt: aliases, champion history, its newest version and champion."""

    name: str
    versions: int
    latest: int
    champion: int | None
    candidate: int | None
    history: list[int]
    info: dict[int, VersionInfo]  # the latest version and the champion


def rollback_target(history: list[int], champion: int | None) -> int | None:
    """The version `llmops prompts rollback` would restore (same rule as the registry)."""
    if champion is None:
        return None
    rest = list(history)
    while rest and rest[-1] == champion:
        rest.pop()
    return rest[-1] if rest else None


def read_registry(settings: Settings) -> list[PromptState]:
    """Every registered prompt's state (a handful of registry calls per prompt)."""
    from llmops.prompts import PromptRegistry

    registry = PromptRegistry(settings)
    states = []
    for s in registry.list():
        if not s.versions:
            continue
        info = {}
        for number in {s.latest, s.champion} - {None}:
            pv = registry.client.get_prompt_version(s.name, number)
            stamp, tags = pv.creation_timestamp, pv.tags or {}
            info[number] = VersionInfo(
                registered_at=datetime.fromtimestamp(stamp / 1000, UTC) if stamp else None,
                content_hash=tags.get("content_hash", "?"),
                git_commit=tags.get("git_commit") or None,
            )
        states.append(
            PromptState(
                name=s.name,
                versions=s.versions,
                latest=s.latest,
                champion=s.champion,
                candidate=s.candidate,
                history=registry.champion_history(s.name),
                info=info,
            )
        )
    return states


def read_registry_bounded(
    settings: Settings, timeout: float
) -> tuple[list[PromptState] | None, Missing | None, float]:
    """read_registry in a daemon thread: (states, None, seconds) or (None, why, seconds)."""
    uri = settings.mlflow_uri
    started = time.perf_counter()
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return None, Missing(what=f"no prompt registry yet ({uri})", fill=FILL_PROMPTS), 0.0
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["states"] = read_registry(settings)
        except Exception as exc:  # noqa: BLE001 - reported in the status, never swallowed
            box["error"] = exc

    thread = threading.Thread(target=work, name="llmops-status-mlflow", daemon=True)
    thread.start()
    thread.join(timeout)
    seconds = time.perf_counter() - started
    if thread.is_alive():
        why = f"MLflow ({uri}) did not answer within {timeout:g} s"
        return None, Missing(what=why, fill="llmops prompts list"), seconds
    if "error" in box:
        exc = box["error"]
        why = f"MLflow ({uri}) failed: {type(exc).__name__}: {exc}"
        return None, Missing(what=why, fill="llmops prompts list"), seconds
    states = box["states"]
    assert isinstance(states, list)
    return states, None, seconds


def _change(
    state: PromptState, promoted: tuple[datetime, RunRef] | None
) -> tuple[datetime | None, int, str]:
    """When the prompt last changed, the version concerned and what the change was."""
    registered = state.info[state.latest].registered_at
    if promoted is not None and (registered is None or promoted[0] >= registered):
        at, run = promoted
        moved = f"eval run {run.run_id[:8]} ({run.verdict}, trigger {run.trigger})"
        if state.champion is not None and int(run.prompt_version) != state.champion:
            # a rollback or manual promote after it (alias moves carry no time in MLflow)
            return (
                at,
                state.champion,
                (
                    f"champion moved by hand to v{state.champion} after {moved} "
                    f"had promoted v{run.prompt_version}"
                ),
            )
        return at, int(run.prompt_version), f"champion moved to v{run.prompt_version} by {moved}"
    if state.latest == state.champion:
        role = "champion"
    elif state.latest == state.candidate:
        role = "candidate, not serving"
    else:
        role = f"not serving; champion is v{state.champion}" if state.champion else "no champion"
    return registered, state.latest, f"v{state.latest} registered ({role})"


def prompts_section(
    states: list[PromptState] | None,
    missing: Missing | None,
    seconds: float,
    uri: str,
    version_runs: dict[tuple[str, str], RunRef],
    promotions: dict[str, tuple[datetime, RunRef]],
) -> Prompts:
    """The newest change across prompts, with the eval of that version and the rollback."""
    if states is None:
        return Prompts(tracking_uri=uri, seconds=seconds, missing=missing)
    if not states:
        return Prompts(
            tracking_uri=uri,
            seconds=seconds,
            missing=Missing(what=f"no prompts registered in {uri}", fill=FILL_PROMPTS),
        )
    changes = {s.name: _change(s, promotions.get(s.name)) for s in states}
    oldest = datetime.min.replace(tzinfo=UTC)
    last = max(states, key=lambda s: (changes[s.name][0] or oldest, s.name))
    at, version, what = changes[last.name]
    newest = version_runs.get((last.name, str(version)))
    promoted = promotions.get(last.name)
    judged = promoted[1] if promoted and promoted[1].prompt_version == str(version) else newest
    info = last.info.get(version) or last.info[last.latest]
    target = rollback_target(last.history, last.champion)
    if target is None:
        command = None
        note = (
            f"no earlier champion to roll back to (v{last.champion} is the only one)"
            if last.champion is not None
            else "no champion set"
        )
    else:
        command = f"llmops prompts rollback {last.name}"
        note = f"champion v{last.champion} -> v{target}"
    return Prompts(
        tracking_uri=uri,
        seconds=seconds,
        last_change=PromptChange(
            name=last.name,
            version=version,
            registered_at=info.registered_at,
            content_hash=info.content_hash,
            git_commit=info.git_commit,
            champion=last.champion,
            candidate=last.candidate,
            champion_history=last.history,
            change=what,
            changed_at=at,
            eval=judged,
            latest_eval=newest if newest and judged and newest.run_id != judged.run_id else None,
            rollback_command=command,
            rollback_note=note,
        ),
        others=[
            PromptLine(name=s.name, champion=s.champion, candidate=s.candidate, versions=s.versions)
            for s in sorted(states, key=lambda s: s.name)
            if s.name != last.name
        ],
    )
