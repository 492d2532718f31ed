"""Prefect client helpers: start deployments, read flow runs, subflows and events (sync client)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun


def _client():
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def start_deployment(name: str, parameters: dict[str, Any] | None = None) -> UUID:
    """Create a flow run of deployment `flow/deployment` for the workers to pick up; its id."""
    with _client() as client:
        deployment = client.read_deployment_by_name(name)
        run = client.create_flow_run_from_deployment(deployment.id, parameters=parameters or {})
    return run.id


def read_flow_run(flow_run_id: UUID | str) -> FlowRun:
    """The flow run as the server sees it now."""
    with _client() as client:
        return client.read_flow_run(UUID(str(flow_run_id)))


def deployment_runs(name: str, since: datetime | None = None) -> list[FlowRun]:
    """Flow runs of deployment `flow/deployment` created at or after `since`, oldest first."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId

    with _client() as client:
        deployment = client.read_deployment_by_name(name)
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])
            ),
            limit=200,
        )
    return sorted((r for r in runs if since is None or r.created >= since), key=lambda r: r.created)


def subflow_runs(parent: UUID | str) -> list[FlowRun]:
    """Child flow runs (subflows) of a flow run, oldest first."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    with _client() as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[UUID(str(parent))])
            )
        )
    return sorted(runs, key=lambda r: r.created)


def read_events(name: str, since: datetime) -> list[dict[str, Any]]:
    """Events called `name` that occurred at or after `since` (the API pages at 50)."""
    body = {
        "filter": {"event": {"name": [name]}, "occurred": {"since": since.isoformat()}},
        "limit": 50,
    }
    with _client() as client:
        resp = client._client.post("/events/filter", json=body)
        resp.raise_for_status()
        return resp.json()["events"]
