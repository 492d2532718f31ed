"""ragas 0.4 collections metrics wired to the LLMClient (judge and embedder aliases)."""

from __future__ import annotations

import asyncio
import inspect
import math
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from llmops.evals.metrics.models import EvalSample, MetricSpec
from llmops.gateway.client import EMBEDDER, JUDGE, LLMClient

Check = Callable[[EvalSample], Awaitable[tuple[float, str | None]]]

# spec.metric -> (class name in ragas.metrics.collections, ascore argument -> sample field)
RAGAS_METRICS: dict[str, tuple[str, dict[str, str]]] = {
    "faithfulness": (
        "Faithfulness",
        {"user_input": "question", "response": "answer", "retrieved_contexts": "contexts"},
    ),
    "answer_relevancy": ("AnswerRelevancy", {"user_input": "question", "response": "answer"}),
    "context_precision": (
        "ContextPrecisionWithReference",
        {"user_input": "question", "reference": "reference", "retrieved_contexts": "contexts"},
    ),
    "context_utilization": (
        "ContextUtilization",
        {"user_input": "question", "response": "answer", "retrieved_contexts": "contexts"},
    ),
    "context_recall": (
        "ContextRecall",
        {"user_input": "question", "retrieved_contexts": "contexts", "reference": "reference"},
    ),
    "semantic_similarity": ("SemanticSimilarity", {"reference": "reference", "response": "answer"}),
    "exact_match": ("ExactMatch", {"reference": "reference", "response": "answer"}),
    "string_presence": ("StringPresence", {"reference": "reference", "response": "answer"}),
    "rouge": ("RougeScore", {"reference": "reference", "response": "answer"}),
    "string_similarity": (
        "NonLLMStringSimilarity",
        {"reference": "reference", "response": "answer"},
    ),
    "bleu": ("BleuScore", {"reference": "reference", "response": "answer"}),
    "chrf": ("CHRFScore", {"reference": "reference", "response": "answer"}),
}


def ragas_llm(llm: LLMClient, model: str = JUDGE) -> Any:
    """A ragas InstructorLLM whose every request goes through `llm.acompletion(model, ...)`."""
    import instructor
    from ragas.llms import llm_factory

    async def acompletion(model: str, messages: list[dict], **kwargs: Any) -> Any:
        """litellm.acompletion's signature, forwarded to the gateway."""
        return await llm.acompletion(model, messages, **kwargs)

    # Mode.JSON: response_format json_object + the schema in the prompt, the most portable mode
    # (with litellm 1.106, TOOLS mode needs the optional `mcp` package).
    client = instructor.from_litellm(acompletion, mode=instructor.Mode.JSON)
    return llm_factory(model, client=client, adapter="litellm")


BATCH = 128  # texts per coalesced embedding request


def ragas_embeddings(llm: LLMClient, model: str = EMBEDDER) -> Any:
    """A ragas embedding model over `llm.aembedding(model, ...)`."""
    from ragas.embeddings.base import BaseRagasEmbedding

    class GatewayEmbeddings(BaseRagasEmbedding):
        """Embeddings through the gateway; sync calls are served from prefetched vectors."""

        def __init__(self) -> None:
            super().__init__(cache=None)
            self._vectors: dict[str, list[float]] = {}
            self._refs: Counter[str] = Counter()
            self._pending: dict[str, asyncio.Future[None]] = {}
            self._flushing = False

        async def aembed_texts(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
            """One embedding request for all texts."""
            response = await llm.aembedding(model, list(texts), **kwargs)
            rows = sorted(response.data, key=lambda d: d["index"])
            return [list(map(float, d["embedding"])) for d in rows]

        async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
            """One text, one request."""
            return (await self.aembed_texts([text], **kwargs))[0]

        async def prefetch(self, texts: list[str]) -> None:
            """Embed texts a metric will ask for synchronously (ragas SemanticSimilarity).

            Items prefetching at the same time share requests: texts queued while the loop
            runs other items go out together, up to BATCH texts per request.
            """
            self._refs.update(texts)  # before awaiting: a concurrent release keeps them
            loop = asyncio.get_running_loop()
            waits = []
            for text in dict.fromkeys(texts):
                if text in self._vectors:
                    continue
                if text not in self._pending:
                    self._pending[text] = loop.create_future()
                waits.append(self._pending[text])
            if waits and not self._flushing:
                self._flushing = True
                loop.create_task(self._flush())
            await asyncio.gather(*waits)

        async def _flush(self) -> None:
            await asyncio.sleep(0.01)  # let the items started together queue their texts
            batch, self._pending, self._flushing = self._pending, {}, False
            texts = list(batch)
            for start in range(0, len(texts), BATCH):
                chunk = texts[start : start + BATCH]
                try:
                    vectors = await self.aembed_texts(chunk)
                except Exception as exc:  # noqa: BLE001 - every waiting item gets the error
                    for text in chunk:
                        batch[text].set_exception(exc)
                    continue
                for text, vector in zip(chunk, vectors, strict=True):
                    self._vectors[text] = vector
                    batch[text].set_result(None)

        def release(self, texts: list[str]) -> None:
            """Forget prefetched vectors no pending item needs."""
            self._refs.subtract(texts)
            for text in set(texts):
                if self._refs[text] <= 0:
                    self._vectors.pop(text, None)
                    del self._refs[text]

        def embed_text(self, text: str, **kwargs: Any) -> list[float]:
            """A prefetched vector; otherwise embed now when no event loop is running."""
            if text in self._vectors:
                return self._vectors[text]
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return asyncio.run(self.aembed_text(text, **kwargs))
            raise RuntimeError("synchronous embedding inside an event loop: prefetch the text")

    return GatewayEmbeddings()


def _checked_kwargs(cls: type, params: dict[str, Any]) -> dict[str, Any]:
    """Params as constructor kwargs; ragas swallows unknown kwargs, so refuse them here."""
    sig = inspect.signature(cls.__init__)
    allowed = {
        n
        for n, p in sig.parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and n not in ("self", "llm", "embeddings", "name")
    }
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise TypeError(
            f"unknown params {unknown} for ragas {cls.__name__}; allowed: {sorted(allowed)}"
        )
    kwargs = dict(params)
    if cls.__name__ == "NonLLMStringSimilarity" and "distance_measure" in kwargs:
        from ragas.metrics.collections import DistanceMeasure

        kwargs["distance_measure"] = DistanceMeasure(kwargs["distance_measure"])
    return kwargs


class RagasMetric:
    """A constructed ragas metric and how to call its `ascore` for a sample."""

    def __init__(self, spec: MetricSpec, llm: LLMClient) -> None:
        """Construct the metric once (ragas collections metrics are stateless per call)."""
        from ragas.metrics import collections

        from llmops.evals.metrics.catalog import entry

        class_name, self.arguments = RAGAS_METRICS[spec.metric]
        cls = getattr(collections, class_name)
        kwargs = _checked_kwargs(cls, spec.params)
        info = entry("ragas", spec.metric)
        if info.llm:
            kwargs["llm"] = ragas_llm(llm)
        self.embeddings = ragas_embeddings(llm) if info.embeddings else None
        if self.embeddings is not None:
            kwargs["embeddings"] = self.embeddings
        self.metric = cls(name=spec.name, **kwargs)
        # SemanticSimilarity calls the sync embed_text inside ascore: prefetch its two texts
        self.sync_embeddings = class_name == "SemanticSimilarity"

    def inputs(self, sample: EvalSample) -> dict[str, Any]:
        """The ascore keyword arguments for a sample."""
        return {arg: getattr(sample, field) for arg, field in self.arguments.items()}

    def sync_texts(self, sample: EvalSample) -> list[str]:
        """Texts to prefetch before ascore (none unless the metric embeds synchronously)."""
        if not self.sync_embeddings:
            return []
        values = self.inputs(sample)
        return [values["reference"] or " ", values["response"] or " "]


def result_value(result: Any) -> tuple[float, str | None]:
    """(score, reason) of a ragas MetricResult; NaN or None is an error."""
    value = result.value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError(f"ragas returned no score ({result.reason or 'no reason given'})")
    return float(value), result.reason


def build_ragas_check(spec: MetricSpec, llm: LLMClient) -> Check:
    """Score one sample with `ascore` (embeddings prefetched when the metric needs it)."""
    built = RagasMetric(spec, llm)

    async def check(sample: EvalSample) -> tuple[float, str | None]:
        texts = built.sync_texts(sample)
        if texts:
            await built.embeddings.prefetch(texts)
        try:
            result = await built.metric.ascore(**built.inputs(sample))
        finally:
            if texts:
                built.embeddings.release(texts)
        return result_value(result)

    return check
