"""Client of the simulator's loopback admin endpoints: read, change, bump and reset its config."""

from __future__ import annotations

from typing import Any

import httpx

from llmops.core.errors import LlmopsError


def _request(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One admin call; an unreachable simulator or a rejected change raises LlmopsError."""
    try:
        resp = httpx.request(method, url, json=body, timeout=5.0)
    except httpx.HTTPError as exc:
        raise LlmopsError(
            f"no simulator answers at {url} ({exc}); start one with `llmops simulator serve`"
        ) from exc
    if resp.status_code != 200:
        try:
            message = resp.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = resp.text[:200]
        raise LlmopsError(f"simulator at {url} refused: {resp.status_code} {message}")
    return resp.json()


def simulator_status(base_url: str) -> dict[str, Any]:
    """`{"config": {...}, "system_fingerprint": ..., "initial_model_version": ...}`."""
    return _request("GET", f"{base_url.rstrip('/')}/admin/config")


def configure_simulator(base_url: str, **changes: Any) -> dict[str, Any]:
    """Change config fields at runtime (model_version, latency_ms, error_rate, ...)."""
    return _request("POST", f"{base_url.rstrip('/')}/admin/config", changes)


def bump_simulator(base_url: str, to: int | None = None) -> dict[str, Any]:
    """Serve the next model version (or version `to`): new fingerprint, snapshot name, quality."""
    current = simulator_status(base_url)["config"]["model_version"]
    target = current + 1 if to is None else to
    if target < 1:
        raise LlmopsError(f"--to: model version must be >= 1, got {target}")
    return configure_simulator(base_url, model_version=target)


def reset_simulator(base_url: str) -> dict[str, Any]:
    """Back to the startup config, attempt counters cleared."""
    return _request("POST", f"{base_url.rstrip('/')}/admin/reset")
