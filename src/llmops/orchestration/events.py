"""Prefect event sinks: the webhook's prompt changes and the collector's rotations, each waited on
until Prefect's events worker has sent it."""

from __future__ import annotations

import time

from llmops.collector.service import RotationNotice
from llmops.core.errors import LlmopsError
from llmops.orchestration.api import api_url as api_url_of_profile
from llmops.webhook.events import EVENT_NAME, PromptMerged

ROTATED_EVENT = "llmops.collector.rotated"


class EmitError(LlmopsError):
    """Prefect did not take an event (no API configured, unreachable, or not flushed in time)."""


def prefect_event_kwargs(event: PromptMerged) -> dict:
    """Arguments of `emit_event` for one prompt change."""
    return {
        "event": EVENT_NAME,
        "resource": {
            "prefect.resource.id": event.resource_id,
            "prefect.resource.name": event.prompt,
        },
        "related": [
            {
                "prefect.resource.id": f"llmops.repository.{event.repository}",
                "prefect.resource.role": "repository",
                "prefect.resource.name": event.repository,
            }
        ],
        "payload": event.model_dump(mode="json"),
        "id": event.event_id,
    }


class PrefectEmitter:
    """Emits to the server PREFECT_API_URL names and waits until the event is sent.

    `emit_event` only queues the event for Prefect's EventsWorker, a background service that
    sends it over a websocket (prefect/events/worker.py, _internal/concurrency/services.py); it
    would otherwise leave at interpreter exit at the earliest. A long-running receiver must not
    answer 200 before that, so each call waits for the worker's queue to be handled.
    """

    def __init__(self, timeout_s: float = 30.0) -> None:
        """`timeout_s`: how long one event may take to leave the worker's queue."""
        self.timeout_s = timeout_s

    def __call__(self, event: PromptMerged) -> None:
        """Send one prompt change; raises EmitError if Prefect is unreachable or did not take it."""
        self.send(prefect_event_kwargs(event))

    def send(self, kwargs: dict) -> None:
        """Send one event (`emit_event` arguments) and wait until it has left the worker."""
        from prefect.events import emit_event
        from prefect.events.worker import EventsWorker

        from llmops.services.prefect_server import healthy

        api_url = api_url_of_profile()
        if not api_url:
            raise EmitError(
                "PREFECT_API_URL is not set: events would go to a throwaway temporary server"
            )
        if not healthy(api_url):
            raise EmitError(f"the Prefect API at {api_url} does not answer its health check")
        worker = EventsWorker.instance()
        if emit_event(**kwargs) is None:
            raise EmitError("Prefect did not accept the event (events disabled; see its log)")
        self._flush(worker)

    def _flush(self, worker: object) -> None:
        """Wait until the worker has handled everything queued (its queue counts task_done)."""
        pending = worker._queue  # type: ignore[attr-defined]  # QueueService's queue.Queue
        deadline = time.monotonic() + self.timeout_s
        while pending.unfinished_tasks:
            if getattr(worker, "_stopped", False):
                raise EmitError("Prefect's events worker stopped before sending (see its log)")
            if time.monotonic() > deadline:
                raise EmitError(f"the event was not sent to Prefect within {self.timeout_s} s")
            time.sleep(0.01)


def rotation_event_kwargs(notice: RotationNotice) -> dict:
    """Arguments of `emit_event` for the collector's batch files of one window."""
    return {
        "event": ROTATED_EVENT,
        "resource": {
            "prefect.resource.id": "llmops.collector",
            "prefect.resource.name": "collector",
        },
        "payload": {
            "files": [b.path for b in notice.batches],
            "records": notice.records,
            "batches": [b.model_dump(mode="json") for b in notice.batches],
        },
    }


class RotationAnnouncer:
    """The collector's `notify`: one `llmops.collector.rotated` event per debounce window."""

    def __init__(self, emitter: PrefectEmitter | None = None) -> None:
        self.emitter = emitter or PrefectEmitter()

    def __call__(self, notice: RotationNotice) -> None:
        self.emitter.send(rotation_event_kwargs(notice))
