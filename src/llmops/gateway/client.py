"""The LLM interface the metrics use (the gateway implements it) and a call counter over it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import litellm

JUDGE = "judge"
EMBEDDER = "embedder"


@runtime_checkable
class LLMClient(Protocol):
    """Chat completions and embeddings by model alias ("judge", "embedder")."""

    async def acompletion(
        self, model: str, messages: list[dict], **kwargs: Any
    ) -> litellm.ModelResponse:
        """A chat completion, litellm-style."""
        ...

    async def aembedding(self, model: str, input: list[str], **kwargs: Any) -> Any:  # noqa: A002
        """Embeddings of `input` (a litellm.EmbeddingResponse)."""
        ...


class CountingClient:
    """Forwards to an LLMClient, counts the calls and tags them with a purpose (one metric)."""

    def __init__(self, inner: LLMClient, purpose: str | None = None) -> None:
        """Wrap `inner`; `purpose` goes into litellm's `metadata` (the gateway records it)."""
        self.inner = inner
        self.purpose = purpose
        self.calls = 0

    def _tag(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.purpose and "metadata" not in kwargs:
            kwargs["metadata"] = {"purpose": self.purpose}
        return kwargs

    async def acompletion(self, model: str, messages: list[dict], **kwargs: Any) -> Any:
        """Count, then forward."""
        self.calls += 1
        return await self.inner.acompletion(model, messages, **self._tag(kwargs))

    async def aembedding(self, model: str, input: list[str], **kwargs: Any) -> Any:  # noqa: A002
        """Count, then forward."""
        self.calls += 1
        return await self.inner.aembedding(model, input, **self._tag(kwargs))


def run_stopper(exc: BaseException) -> BaseException | None:
    """The error in `exc`'s chain that says the whole run must stop (e.g. the USD cap), if any.

    The gateway's BudgetExceeded is one, and so is any error with `stops_run = True`; ragas'
    instructor wraps errors, so the chain of causes is searched.
    """
    from llmops.gateway.errors import BudgetExceeded

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, BudgetExceeded) or getattr(current, "stops_run", False):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
