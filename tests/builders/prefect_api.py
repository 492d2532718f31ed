"""Read what flows left on the (test) Prefect server: artifacts and events, through its API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from uuid import UUID


async def _artifact(key: str, flow_run_id: UUID) -> str | None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        arts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    found = [a for a in arts if a.flow_run_id == flow_run_id]
    return max(found, key=lambda a: a.created).data if found else None


def artifact(key: str, flow_run_id: UUID) -> str | None:
    """Newest markdown of artifact `key` created by a flow run (None if there is none)."""
    return asyncio.run(_artifact(key, flow_run_id))


async def _events(names: list[str]) -> list[dict]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:  # the API returns at most 50 events per page
        resp = await client._client.post(
            "/events/filter", json={"filter": {"event": {"prefix": names}}, "limit": 50}
        )
    return resp.json()["events"]


def events(
    *names: str, until: Callable[[list[dict]], bool] = bool, wait_s: float = 30
) -> list[dict]:
    """Events whose name starts with one of `names`; waits (events are sent asynchronously)
    until `until(events)` holds or `wait_s` passes, then returns what is there."""
    deadline = time.monotonic() + wait_s
    while True:
        found = asyncio.run(_events(list(names)))
        if until(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


async def _paused_run(name: str, timeout: float):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterName,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while time.monotonic() < deadline:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    name=FlowRunFilterName(any_=[name]),
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])),
                )
            )
            if runs:
                return runs[0]
            await asyncio.sleep(0.5)
    raise AssertionError(f"no paused {name} run within {timeout}s")


def paused_run(name: str, timeout: float = 90):
    """The flow run named `name` once it is paused (waiting for a reviewer's input)."""
    return asyncio.run(_paused_run(name, timeout))
