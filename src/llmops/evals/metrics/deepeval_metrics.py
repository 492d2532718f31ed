"""deepeval 4.3 metrics with a judge model that sends every request through the LLMClient."""

from __future__ import annotations

import json
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from llmops.evals.metrics.models import EvalSample, MetricSpec
from llmops.gateway.client import LLMClient
from llmops.gateway.deepeval_judge import gateway_model_class

Check = Callable[[EvalSample], Awaitable[tuple[float, str | None]]]

DEEPEVAL_CLASSES = {
    "geval": "GEval",
    "faithfulness": "FaithfulnessMetric",
    "hallucination": "HallucinationMetric",
    "answer_relevancy": "AnswerRelevancyMetric",
    "json_correctness": "JsonCorrectnessMetric",
}


def schema_model(schema: dict[str, Any]) -> type:
    """A pydantic model that validates JSON against a JSON schema (for JsonCorrectnessMetric)."""
    import jsonschema
    from pydantic import RootModel, model_validator

    validator = jsonschema.validators.validator_for(schema)(schema)
    validator.check_schema(schema)

    class OutputSchema(RootModel[Any]):
        """Any JSON value that the prompt's output schema accepts."""

        @model_validator(mode="after")
        def _valid(self) -> OutputSchema:
            errors = sorted(validator.iter_errors(self.root), key=lambda e: list(e.absolute_path))
            if errors:
                where = "/".join(map(str, errors[0].absolute_path)) or "<root>"
                raise ValueError(f"at {where}: {errors[0].message}")
            return self

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return schema

    return OutputSchema


def _kwargs(spec: MetricSpec) -> dict[str, Any]:
    """Constructor kwargs from the spec's params (GEval's names and rubric turned into objects)."""
    kwargs = dict(spec.params)
    if spec.metric == "geval":
        from deepeval.metrics.g_eval.utils import Rubric
        from deepeval.test_case import SingleTurnParams

        kwargs["name"] = spec.name
        kwargs["evaluation_params"] = [SingleTurnParams(p) for p in kwargs["evaluation_params"]]
        if kwargs.get("rubric"):
            kwargs["rubric"] = [Rubric(**r) for r in kwargs["rubric"]]
    elif spec.metric in ("faithfulness", "hallucination", "json_correctness"):
        kwargs.setdefault("eval_mode", "llm")  # not Jev, whatever DEEPEVAL_EVAL_MODE says
    return kwargs


def metric_factory(spec: MetricSpec, llm: LLMClient) -> Callable[[EvalSample], Any]:
    """A function building a fresh metric per item (deepeval metrics keep state while measuring).

    Builds one right away, so bad params fail before any item is scored.
    """
    import deepeval.metrics

    cls = getattr(deepeval.metrics, DEEPEVAL_CLASSES[spec.metric])
    judge = gateway_model_class()(llm)
    kwargs = _kwargs(spec)
    schemas: dict[str, type] = {}

    def build(sample: EvalSample | None) -> Any:
        extra: dict[str, Any] = {}
        if spec.metric == "json_correctness":
            schema = sample.output_schema if sample is not None else {"type": "object"}
            key = json.dumps(schema, sort_keys=True)
            if key not in schemas:
                schemas[key] = schema_model(schema)
            extra["expected_schema"] = schemas[key]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Hallucination's direction note
            return cls(model=judge, **kwargs, **extra)

    build(None)
    return build


def to_test_case(sample: EvalSample) -> Any:
    """The deepeval LLMTestCase of a sample (named by item id)."""
    from deepeval.test_case import LLMTestCase

    contexts = sample.contexts or None
    return LLMTestCase(
        name=sample.item_id,
        input=sample.question,
        actual_output=sample.answer if sample.answer is not None else "",
        expected_output=sample.reference,
        retrieval_context=contexts,
        context=contexts,
    )


def build_deepeval_check(spec: MetricSpec, llm: LLMClient) -> Check:
    """Measure one item with a fresh metric and `a_measure`."""
    build = metric_factory(spec, llm)

    async def check(sample: EvalSample) -> tuple[float, str | None]:
        metric = build(sample)
        score = await metric.a_measure(to_test_case(sample), _show_indicator=False)
        if getattr(metric, "error", None):
            raise RuntimeError(metric.error)
        if score is None:
            raise ValueError("deepeval returned no score")
        return float(score), getattr(metric, "reason", None)

    return check
