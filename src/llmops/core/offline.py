"""Offline-safe environment defaults for the whole stack (why each one: docs/stack-notes.md)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

OFFLINE_DEFAULTS: dict[str, str] = {
    "DEEPEVAL_TELEMETRY_OPT_OUT": "YES",
    "RAGAS_DO_NOT_TRACK": "true",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "DO_NOT_TRACK": "true",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_MODEL_CATALOG_URI": "",
    "PREFECT_UI_ENABLED_TELEMETRY": "false",
}


def _tiktoken_dir() -> str | None:
    """Locate litellm's bundled tiktoken files without importing litellm."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "litellm_core_utils" / "tokenizers"
    return str(path) if path.is_dir() else None


def apply_offline_defaults(environ: dict[str, str] | None = None) -> None:
    """Set the offline variables unless the user already chose a value."""
    env = os.environ if environ is None else environ
    for key, value in OFFLINE_DEFAULTS.items():
        env.setdefault(key, value)
    if "TIKTOKEN_CACHE_DIR" not in env and (tik := _tiktoken_dir()):
        env["TIKTOKEN_CACHE_DIR"] = tik
