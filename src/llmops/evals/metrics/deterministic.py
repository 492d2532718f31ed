"""Our deterministic checks: exact match, contains, regex, JSON schema validity (no LLM)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from llmops.evals.metrics.models import EvalSample, MetricSpec

Check = Callable[[EvalSample], Awaitable[tuple[float, str | None]]]

_CODE = re.compile(r"`+([^`]+?)`+")
_QUOTED = re.compile(r"\"([^\"]{2,80})\"")
_TECH = re.compile(r"\b[\w$-]*[a-z][\w$-]*(?:[._/][\w$-]+|\(\))+|\b[a-z]+[A-Z]\w*|\b[A-Z]{2,}\w*\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]{3,}")
_STOP_WORDS = (
    "this that with from have will your they them then than there their which about would "
    "should could into when what where while also such only some more most other these those "
    "each been being here must does using used use following example examples"
)
_STOP = frozenset(_STOP_WORDS.split())


def normalize(text: str) -> str:
    """NFKC, case folded, whitespace collapsed, surrounding punctuation stripped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split()).strip(" .!?;:")


def key_phrases(reference: str) -> list[str]:
    """The phrases a correct answer should repeat: code spans, quoted strings, identifiers.

    A reference with none of those falls back to its content words (4+ letters, no stop words).
    """
    found = _CODE.findall(reference) + _QUOTED.findall(reference) + _TECH.findall(reference)
    unique: dict[str, str] = {}
    for phrase in (p.strip() for p in found):
        if len(phrase) > 1:
            unique.setdefault(phrase.casefold(), phrase)
    # a phrase inside a longer one (a name within a code span) is not a phrase of its own
    phrases = [p for k, p in unique.items() if not any(k != o and k in o for o in unique)]
    if phrases:
        return phrases
    words = [w for w in _WORD.findall(reference) if w.casefold() not in _STOP]
    return list(dict.fromkeys(w.casefold() for w in words))


def _exact(spec: MetricSpec) -> Check:
    fold = spec.params.get("normalize", True)

    async def check(s: EvalSample) -> tuple[float, str | None]:
        answer, reference = s.answer or "", s.reference or ""
        same = normalize(answer) == normalize(reference) if fold else answer == reference
        return float(same), None if same else "answer differs from the reference"

    return check


def _contains(spec: MetricSpec) -> Check:
    configured = spec.params.get("phrases")
    mode = spec.params.get("mode", "fraction")
    case = spec.params.get("case_sensitive", False)

    async def check(s: EvalSample) -> tuple[float, str | None]:
        phrases = configured or key_phrases(s.reference or "")
        if not phrases:
            raise ValueError("the reference has no key phrases to look for")
        answer = s.answer or ""
        hay = answer if case else answer.casefold()
        missing = [p for p in phrases if (p if case else p.casefold()) not in hay]
        found = len(phrases) - len(missing)
        score = {
            "fraction": found / len(phrases),
            "all": float(not missing),
            "any": float(found > 0),
        }[mode]
        reason = f"{found}/{len(phrases)} phrases found"
        if missing:
            reason += "; missing: " + ", ".join(repr(m) for m in missing[:5])
            reason += " ..." if len(missing) > 5 else ""
        return score, reason

    return check


def _regex(spec: MetricSpec) -> Check:
    flags = 0
    for letter in spec.params.get("flags", ""):
        flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}[letter]
    pattern = re.compile(spec.params["pattern"], flags)
    whole = spec.params.get("match", "search") == "fullmatch"
    negate = bool(spec.params.get("negate", False))

    async def check(s: EvalSample) -> tuple[float, str | None]:
        answer = s.answer or ""
        hit = pattern.fullmatch(answer) if whole else pattern.search(answer)
        ok = (hit is None) if negate else (hit is not None)
        what = f"matched at {hit.start()}" if hit else "no match"
        return float(ok), f"{what} ({'must not' if negate else 'must'} match)"

    return check


def _json_schema(spec: MetricSpec) -> Check:
    import jsonschema

    fixed = spec.params.get("schema")

    async def check(s: EvalSample) -> tuple[float, str | None]:
        schema: dict[str, Any] = fixed if fixed is not None else s.output_schema  # type: ignore[assignment]
        try:
            value = json.loads(s.answer or "")
        except json.JSONDecodeError as exc:
            return 0.0, f"not JSON: {exc}"
        validator = jsonschema.validators.validator_for(schema)(schema)
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        if not errors:
            return 1.0, None
        first = errors[0]
        where = "/".join(map(str, first.absolute_path)) or "<root>"
        return 0.0, f"{len(errors)} schema error(s); at {where}: {first.message}"

    return check


BUILDERS: dict[str, Callable[[MetricSpec], Check]] = {
    "exact_match": _exact,
    "contains": _contains,
    "regex": _regex,
    "json_schema": _json_schema,
}


def build_check(spec: MetricSpec) -> Check:
    """The check function for a deterministic spec."""
    return BUILDERS[spec.metric](spec)
