"""Metric suites: ragas, deepeval and deterministic metrics scored per item through the gateway."""

from llmops.evals.metrics.models import EvalSample, ItemScore, MetricResult, MetricSpec, Suite
from llmops.evals.metrics.runner import MetricSetupError, score_metric
from llmops.evals.metrics.suite import SuiteError, load_suite
from llmops.gateway.client import LLMClient

__all__ = [
    "EvalSample",
    "ItemScore",
    "LLMClient",
    "MetricResult",
    "MetricSetupError",
    "MetricSpec",
    "Suite",
    "SuiteError",
    "load_suite",
    "score_metric",
]
