"""The LLM gateway: every LLM call of llmops goes through it, by model alias, via litellm.

Usage: `gw = Gateway(settings, usd_cap=2.0, concurrency=16)` (one per run; defaults from settings).
`await gw.acompletion("candidate", messages, temperature=0, metadata={"purpose": "generate"})`,
`await gw.aembedding("embedder", texts)`; sync `gw.completion` / `gw.embedding`; litellm types.
Hand it to libraries as litellm: `instructor.from_litellm(gw.acompletion, mode=Mode.JSON)`.
Afterwards: `gw.records` (CallRecord each), `gw.spent_usd`, `gw.summary().provenance()`;
`BudgetExceeded` (an LlmopsError) once the cap is reached: stop the run and report it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmops.gateway.core import Gateway
    from llmops.gateway.errors import BudgetExceeded
    from llmops.gateway.records import CallRecord, GatewaySummary

__all__ = ["BudgetExceeded", "CallRecord", "Gateway", "GatewaySummary"]

_LAZY = {
    "Gateway": "llmops.gateway.core",
    "BudgetExceeded": "llmops.gateway.errors",
    "CallRecord": "llmops.gateway.records",
    "GatewaySummary": "llmops.gateway.records",
}


def __getattr__(name: str) -> Any:
    """Import on first use, so importing `llmops.gateway.client` (the protocol) loads no litellm."""
    if name not in _LAZY:
        raise AttributeError(f"module 'llmops.gateway' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
