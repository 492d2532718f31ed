"""What every pipeline's tasks share: the retry rule and collecting per-batch futures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from prefect import Task
from prefect.client.schemas.objects import TaskRun
from prefect.futures import PrefectFuture
from prefect.states import State

from llmops.core.errors import LlmopsError

K = TypeVar("K")


def transient(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry I/O hiccups, never bad input: an unreadable file or a bad row stays bad."""
    return not isinstance(state.result(raise_on_failure=False), LlmopsError)


def gather(futures: Mapping[K, PrefectFuture[Any]]) -> tuple[list[Any], dict[K, str]]:
    """Results of the futures that completed, and the state message of each that did not."""
    done: list[Any] = []
    failed: dict[K, str] = {}
    for key, future in futures.items():
        future.wait()
        if future.state.is_completed():
            done.append(future.result())
        else:
            failed[key] = str(future.state.message)
    return done, failed
