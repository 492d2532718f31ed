"""Which metrics each library offers here, what item fields they read, and their params' rules.

Light on purpose (no ragas/deepeval import): suites are checked when they are loaded.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from typing import Any

FIELDS = ("reference", "contexts", "output_schema")


@dataclass(frozen=True)
class Entry:
    """A supported metric: the optional item fields it reads and what it needs to run."""

    reads: frozenset[str] = frozenset()
    answer: bool = True
    llm: bool = False
    embeddings: bool = False
    package: tuple[str, str] | None = None  # (module to import, pip name)


def _e(*reads: str, **kw: Any) -> Entry:
    return Entry(reads=frozenset(reads), **kw)


CATALOG: dict[tuple[str, str], Entry] = {
    # ragas 0.4 collections (ragas.metrics.collections), LLM-judged
    ("ragas", "faithfulness"): _e("contexts", llm=True),
    ("ragas", "answer_relevancy"): _e(llm=True, embeddings=True),
    ("ragas", "context_precision"): _e("reference", "contexts", llm=True, answer=False),
    ("ragas", "context_utilization"): _e("contexts", llm=True),
    ("ragas", "context_recall"): _e("reference", "contexts", llm=True, answer=False),
    # ragas, no LLM
    ("ragas", "semantic_similarity"): _e("reference", embeddings=True),
    ("ragas", "exact_match"): _e("reference"),
    ("ragas", "string_presence"): _e("reference"),
    ("ragas", "rouge"): _e("reference", package=("rouge_score", "rouge-score")),
    ("ragas", "string_similarity"): _e("reference", package=("rapidfuzz", "rapidfuzz")),
    ("ragas", "bleu"): _e("reference", package=("sacrebleu", "sacrebleu")),
    ("ragas", "chrf"): _e("reference", package=("sacrebleu", "sacrebleu")),
    # deepeval 4.3
    ("deepeval", "geval"): _e(llm=True),  # reads follow params.evaluation_params
    ("deepeval", "faithfulness"): _e("contexts", llm=True),
    ("deepeval", "hallucination"): _e("contexts", llm=True),
    ("deepeval", "answer_relevancy"): _e(llm=True),
    ("deepeval", "json_correctness"): _e("output_schema", llm=True),
    # ours
    ("deterministic", "exact_match"): _e("reference"),
    ("deterministic", "contains"): _e(),  # reference unless params.phrases
    ("deterministic", "regex"): _e(),
    ("deterministic", "json_schema"): _e(),  # output_schema unless params.schema
}

GEVAL_PARAMS = {
    "input": None,
    "actual_output": None,
    "expected_output": "reference",
    "context": "contexts",
    "retrieval_context": "contexts",
}


def entry(library: str, metric: str) -> Entry:
    """The catalog entry, or ValueError listing what the library offers."""
    found = CATALOG.get((library, metric))
    if found is None:
        known = sorted(m for lib, m in CATALOG if lib == library)
        raise ValueError(f"unknown {library} metric {metric!r}; supported: {', '.join(known)}")
    return found


def reads(library: str, metric: str, params: dict[str, Any]) -> set[str]:
    """The optional item fields this metric reads, given its params."""
    base = set(entry(library, metric).reads)
    if (library, metric) == ("deepeval", "geval"):
        base |= {GEVAL_PARAMS[p] for p in params.get("evaluation_params", []) if GEVAL_PARAMS[p]}
    if (library, metric) == ("deterministic", "contains") and not params.get("phrases"):
        base.add("reference")
    if (library, metric) == ("deterministic", "json_schema") and "schema" not in params:
        base.add("output_schema")
    return base


def required_fields(library: str, metric: str, params: dict[str, Any], needs: list[str]) -> list:
    """`needs` completed with the fields the metric reads, in canonical order."""
    unknown = sorted(set(needs) - set(FIELDS))
    if unknown:
        raise ValueError(f"needs: unknown field(s) {unknown}; allowed: {list(FIELDS)}")
    wanted = set(needs) | reads(library, metric, params)
    return [f for f in FIELDS if f in wanted]


def _str_list(params: dict[str, Any], key: str) -> list[str]:
    value = params.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"params.{key} must be a list of non-empty strings")
    return value


def _check_geval(params: dict[str, Any]) -> None:
    if not params.get("criteria") and not params.get("evaluation_steps"):
        raise ValueError("geval needs params.criteria or params.evaluation_steps")
    if "evaluation_steps" in params:
        _str_list(params, "evaluation_steps")
    names = _str_list(params, "evaluation_params")
    bad = [n for n in names if n not in GEVAL_PARAMS]
    if bad:
        raise ValueError(f"params.evaluation_params: unknown {bad}; allowed: {list(GEVAL_PARAMS)}")
    for i, rubric in enumerate(params.get("rubric") or []):
        rng = rubric.get("score_range") if isinstance(rubric, dict) else None
        ok = isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int) for x in rng)
        if not ok or not isinstance(rubric.get("expected_outcome"), str):
            raise ValueError(
                f"params.rubric[{i}] must be {{score_range: [low, high], expected_outcome: text}}"
            )


def _check_regex(params: dict[str, Any]) -> None:
    pattern = params.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("regex needs params.pattern (a regular expression)")
    flags = params.get("flags", "")
    if not isinstance(flags, str) or set(flags) - set("imsx"):
        raise ValueError("params.flags must be letters among i, m, s, x")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"params.pattern is not a valid regular expression: {exc}") from exc
    if params.get("match", "search") not in ("search", "fullmatch"):
        raise ValueError("params.match must be search or fullmatch")


def _check_contains(params: dict[str, Any]) -> None:
    if "phrases" in params:
        _str_list(params, "phrases")
    if params.get("mode", "fraction") not in ("fraction", "all", "any"):
        raise ValueError("params.mode must be fraction, all or any")


def _check_json_schema(params: dict[str, Any]) -> None:
    if "schema" in params:
        import jsonschema

        schema = params["schema"]
        if not isinstance(schema, dict):
            raise ValueError("params.schema must be a JSON schema (a mapping)")
        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"params.schema is not a valid JSON schema: {exc.message}") from exc


_PARAM_CHECKS = {
    ("deepeval", "geval"): _check_geval,
    ("deterministic", "regex"): _check_regex,
    ("deterministic", "contains"): _check_contains,
    ("deterministic", "json_schema"): _check_json_schema,
}

_ALLOWED_PARAMS = {
    ("deterministic", "exact_match"): {"normalize"},
    ("deterministic", "contains"): {"phrases", "mode", "case_sensitive"},
    ("deterministic", "regex"): {"pattern", "flags", "match", "negate"},
    ("deterministic", "json_schema"): {"schema"},
}


def check_spec(library: str, metric: str, params: dict[str, Any]) -> None:
    """Raise ValueError when the metric is unknown, its package missing or its params invalid."""
    found = entry(library, metric)
    if found.package and importlib.util.find_spec(found.package[0]) is None:
        raise ValueError(
            f"{library} {metric} needs the Python package {found.package[1]!r}, which is not "
            "installed (add it to the project's dependencies)"
        )
    allowed = _ALLOWED_PARAMS.get((library, metric))
    if allowed is not None and set(params) - allowed:
        raise ValueError(
            f"params: unknown {sorted(set(params) - allowed)}; allowed: {sorted(allowed)}"
        )
    check = _PARAM_CHECKS.get((library, metric))
    if check:
        check(params)
