"""Judge mode: a minimal JSON instance that validates against a requested schema.

Field values are deterministic and chosen by field name:
- verdict/label/attributed fields: `support` (share of the judged claim's content words found in
  the context) >= 0.5;
- score fields: correctness against the expected output when the judged input has one (GEval),
  else `support`; scaled into the range the prompt asks for ("an integer between 0 and 10",
  "either 1 or 0"), else the schema's bounds;
- question fields: the judged question when the response is grounded in it, else a question
  built from the response's key terms (ragas answer relevancy sends the response only);
- noncommittal/evasive fields: 1 only for evasive responses ("I don't know", refusals);
- reason fields: what the score was computed from (a JSON validity check for deepeval's
  json_correctness reason).
"""

from __future__ import annotations

import ast
import copy
import json
import re
from typing import Any

from llmops.simulators.provider.text import (
    Correctness,
    Prompt,
    correctness,
    grounded_answer,
    is_evasive,
    question_for,
    sentences,
    support,
)

_SCORE = re.compile(r"score|rating|confidence|probability|relevan|faithful", re.IGNORECASE)
_VERDICT = re.compile(r"verdict|supported|attributed|useful|correct|is_|^yes|label", re.IGNORECASE)
_REASON = re.compile(r"reason|explanation|rationale|justification|feedback", re.IGNORECASE)
_QUESTION = re.compile(r"question|query", re.IGNORECASE)
_CLAIM = re.compile(r"statement|claim|truth|opinion|sentence", re.IGNORECASE)
_NEGATIVE = re.compile(r"hallucinat|contradict|toxic|bias|unsupported", re.IGNORECASE)
_EVASIVE = re.compile(r"noncommittal|evasive|vague|refus", re.IGNORECASE)
_RANGES = (  # (pattern, integer) for the score range a prompt asks for
    (
        re.compile(
            r"score[^\n]{0,80}?\bbetween\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)", re.I
        ),
        False,
    ),
    (re.compile(r"score[^\n]{0,80}?\beither\s+(-?\d+)\b[^\n]*?\bor\s+(-?\d+)\b", re.I), True),
    (re.compile(r"score[^\n]{0,80}?\bscale\s+(?:of|from)\s+(-?\d+)\s+to\s+(-?\d+)\b", re.I), False),
)


def score_range(prompt_text: str) -> tuple[float, float, bool] | None:
    """(low, high, integer) of the score a prompt asks for, e.g. GEval's 0-10 integer."""
    for pattern, integer in _RANGES:
        match = pattern.search(prompt_text)
        if match:
            a, b = float(match.group(1)), float(match.group(2))
            return min(a, b), max(a, b), integer or "integer" in match.group(0).lower()
    return None


class Judgement:
    """The deterministic facts a judge-mode instance is built from."""

    def __init__(self, prompt: Prompt, version: int, prompt_text: str = "") -> None:
        """Read the judged input (last JSON input in the prompt, else the parsed chat prompt)."""
        self.prompt = prompt
        self.answer = grounded_answer(prompt, version)
        data = judge_input(prompt_text)
        context = _field(data, _CONTEXT_KEYS) or prompt.context
        self.context = context
        self.response = _field(data, _ANSWER_KEYS)
        # a judged response without its question (ragas answer relevancy) must not borrow the
        # prompt's own "question" words
        self.question = _field(data, ("user_input", "question", "query", "input")) or (
            "" if self.response else prompt.question
        )
        self.reference = _field(data, ("reference",))
        self.score_range = score_range(prompt_text)
        self.json_reason = json_validity_reason(prompt_text)
        self.per_claim = False
        claims = data.get("statements") or data.get("claims")
        if isinstance(claims, list) and claims:
            self.claims = [str(c) for c in claims]
        else:
            self.claims = sentences(self.response) if self.response else [prompt.question]
        self.claims = self.claims or [self.answer]
        self.focus = " ".join(self.claims)

    def for_claim(self, claim: str) -> Judgement:
        """The same judgement focused on one claim."""
        other = copy.copy(self)
        other.focus = claim
        other.per_claim = True
        return other

    @property
    def support(self) -> float:
        """Share of the focused claim's key terms found in the context (0.5 without context)."""
        return round(support(self.focus, self.context), 4) if self.context else 0.5

    @property
    def positive(self) -> bool:
        """True when at least half of the claim is supported."""
        return self.support >= 0.5

    @property
    def correctness(self) -> Correctness | None:
        """The response against the expected output, when the judged input has both (GEval)."""
        if self.per_claim or not (self.reference and self.response):
            return None
        return correctness(self.response, self.reference, self.question)

    @property
    def score(self) -> float:
        """0-1: correctness when there is an expected output, else support."""
        graded = self.correctness
        return graded.value if graded is not None else self.support

    @property
    def evasive(self) -> bool:
        """True when the judged response is a non-answer."""
        return is_evasive(self.response or self.focus)

    def generated_question(self) -> str:
        """The judged question if the response is grounded in it, else one from its key terms."""
        if not self.response:
            return self.question or question_for(self.focus)
        if self.question and support(self.question, self.response) >= 0.5:
            return self.question
        return question_for(self.response)

    def reason(self) -> str:
        """A short human-readable reason."""
        if self.json_reason is not None:
            return self.json_reason
        graded = self.correctness
        if graded is not None:
            return _correctness_reason(graded)
        pct = round(self.support * 100)
        verdict = "supported" if self.positive else "not supported"
        return f"{pct}% of the statement's key terms appear in the context, so it is {verdict}."


_CONTEXT_KEYS = ("context", "retrieved_contexts", "contexts", "retrieval_context", "reference")
_ANSWER_KEYS = ("response", "answer", "actual_output", "text", "output")


def _correctness_reason(graded: Correctness) -> str:
    """Why a response got its correctness score."""
    parts = [
        f"The actual output states {round(graded.coverage * 100)}% of the key terms of the "
        "expected output"
    ]
    if graded.missing:
        parts.append(f"it misses {', '.join(graded.missing)}")
    if graded.unsupported:
        parts.append(
            f"{graded.unsupported} of its {graded.sentences} statements are backed by neither "
            "the expected output nor the input"
        )
    if graded.contradicted:
        parts.append(f"{graded.contradicted} statement(s) contradict the expected output")
    return "; ".join(parts) + "."


_GENERATED_JSON = re.compile(
    r"Generated Json:\s*\n(?P<json>.*?)\n\s*Expected Json Schema:\s*\n(?P<schema>.*?)"
    r"\n\s*Is Valid Json\?",
    re.DOTALL,
)


def json_validity_reason(prompt_text: str) -> str | None:
    """deepeval json_correctness' reason: the first schema violation of the generated JSON."""
    match = _GENERATED_JSON.search(prompt_text)
    if match is None:
        return None
    try:
        value = json.loads(match.group("json"))
    except ValueError as exc:
        return f"The generated Json is not valid because it does not parse: {exc}."
    try:
        schema = json.loads(match.group("schema"))
    except ValueError:
        return "The generated Json parses, but the expected schema could not be read."
    import jsonschema

    try:
        validator = jsonschema.validators.validator_for(schema)(schema)
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    except (jsonschema.SchemaError, TypeError, ValueError) as exc:
        return f"The expected Json schema is itself invalid: {str(exc).splitlines()[0]}."
    if not errors:
        return "The generated Json is valid because it matches the expected Json schema."
    where = "/".join(map(str, errors[0].absolute_path)) or "the top level"
    return f"The generated Json is not valid because at {where}: {errors[0].message}."


def _field(data: dict[str, Any], keys: tuple[str, ...]) -> str:
    """The first present field among keys, lists joined by newlines."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, list):
            return "\n".join(map(str, value))
        if value:
            return str(value)
    return ""


_INPUT = re.compile(r"\binput:\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^([A-Za-z][A-Za-z _()-]{0,40}):[ \t]*$", re.MULTILINE)
_SECTIONS = (
    ("context", "context"),
    ("claims", "statements"),
    ("statements", "statements"),
    ("truths", "statements"),
    ("expected output", "reference"),
    ("expected answer", "reference"),
    ("ground truth", "reference"),
    ("output", "response"),
    ("text", "response"),
    ("input", "user_input"),
    ("question", "user_input"),
)


def judge_input(text: str) -> dict[str, Any]:
    """The judged input: ragas' last `input: {...}` object, else deepeval `Heading:` blocks."""
    inputs = [obj for start, obj in _json_objects(text, True) if _INPUT.search(text[:start])]
    return inputs[-1] if inputs else _sections(text)


def _literal_list(body: str) -> Any:
    """A JSON or Python list literal, else one item per non-empty line."""
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(body)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
    return [line.strip("-* ") for line in body.splitlines() if line.strip()]


def _sections(text: str) -> dict[str, Any]:
    """`Heading:` blocks (last occurrence wins), mapped to ragas-style keys."""
    heads = list(_HEADING.finditer(text))
    out: dict[str, Any] = {}
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[head.end() : end].strip()
        label = head.group(1).strip().lower()
        key = next((k for word, k in _SECTIONS if word in label), None)
        if key is None or not body:
            continue
        if key == "statements":
            parsed = _literal_list(body)
            body = parsed if isinstance(parsed, list) else [str(parsed)]
        out[key] = body
    return out


def _json_objects(text: str, with_start: bool = False) -> list[Any]:
    """Top-level JSON objects embedded in a text, in order (with their offsets if asked)."""
    decoder = json.JSONDecoder()
    out: list[Any] = []
    pos = 0
    while (start := text.find("{", pos)) != -1:
        try:
            obj, end = decoder.raw_decode(text, start)
        except ValueError:
            pos = start + 1
            continue
        if isinstance(obj, dict):
            out.append((start, obj) if with_start else obj)
        pos = end
    return out


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (`#/$defs/X`, `#/definitions/X`) and merge `allOf`."""
    seen = 0
    while "$ref" in schema and seen < 32:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if part else target
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra}
        seen += 1
    if "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for sub in schema["allOf"]:
            sub = _resolve(sub, root)
            merged = {
                **sub,
                **merged,
                "properties": {**sub.get("properties", {}), **merged.get("properties", {})},
            }
            merged["required"] = sorted(
                set(sub.get("required", [])) | set(merged.get("required", []))
            )
        schema = merged
    return schema


def _type_of(schema: dict[str, Any]) -> str | None:
    """The first non-null JSON type a schema allows."""
    t = schema.get("type")
    if isinstance(t, list):
        non_null = [x for x in t if x != "null"]
        return non_null[0] if non_null else "null"
    if t is None and "properties" in schema:
        return "object"
    return t


def _number(schema: dict[str, Any], value: float, integer: bool) -> float | int:
    """A number clamped into the schema's bounds."""
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    hi = schema.get("maximum", schema.get("exclusiveMaximum"))
    if lo is not None and hi is not None and integer:
        value = lo + round(value * (hi - lo))
    elif lo is not None and hi is not None:
        value = lo + value * (hi - lo)
    if integer:
        value = int(round(value))
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            value = int(schema["exclusiveMinimum"]) + 1
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            value = int(schema["exclusiveMaximum"]) - 1
    if lo is not None:
        value = max(value, lo)
    if hi is not None:
        value = min(value, hi)
    return value


def _string(name: str, schema: dict[str, Any], j: Judgement) -> str:
    """A string for a field, chosen by its name."""
    if _REASON.search(name):
        text = j.reason()
    elif _CLAIM.search(name):
        text = j.focus
    elif _VERDICT.search(name):
        text = "yes" if j.positive else "no"
    elif _QUESTION.search(name):
        text = j.generated_question()
    else:
        text = j.answer
    lo, hi = schema.get("minLength", 0), schema.get("maxLength")
    text = text.ljust(lo, ".")
    return text[:hi] if hi is not None else text


def _enum_choice(name: str, options: list[Any], j: Judgement) -> Any:
    """yes/no-like enums follow the judgement; others take the first value."""
    wanted = (
        ("yes", "true", "supported", "1") if j.positive else ("no", "false", "unsupported", "0")
    )
    if _EVASIVE.search(name):
        wanted = ("yes", "true", "1") if j.evasive else ("no", "false", "0")
    if _VERDICT.search(name) or _SCORE.search(name) or _EVASIVE.search(name):
        for opt in options:
            if str(opt).lower() in wanted:
                return opt
    return options[0]


def build_instance(schema: dict[str, Any], j: Judgement, name: str = "", root: Any = None) -> Any:
    """A minimal instance of `schema` whose judge-like fields carry the judgement."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return _enum_choice(name, list(schema["enum"]), j)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_resolve(o, root) for o in schema[key]]
            chosen = next((o for o in options if _type_of(o) != "null"), options[0])
            return build_instance(chosen, j, name, root)
    kind = _type_of(schema)
    if kind == "object":
        props = schema.get("properties", {})
        return {k: build_instance(v, j, k, root) for k, v in props.items()}
    if kind == "array":
        items = schema.get("items") or schema.get("prefixItems") or {"type": "string"}
        if isinstance(items, list):
            return [build_instance(i, j, name, root) for i in items]
        claims = j.claims[: schema.get("maxItems", len(j.claims))] or [j.focus]
        claims += [claims[-1]] * max(0, schema.get("minItems", 1) - len(claims))
        return [build_instance(items, j.for_claim(c), name, root) for c in claims]
    if kind in ("number", "integer"):
        integer = kind == "integer"
        if _EVASIVE.search(name):
            value = 1.0 if j.evasive else 0.0
        elif _NEGATIVE.search(name):
            value = 0.0 if j.positive else 1.0
        elif _VERDICT.search(name) and not _SCORE.search(name):
            value = 1.0 if j.positive else 0.0
        else:
            value = j.score
        if _SCORE.search(name) and "maximum" not in schema:
            if j.score_range is not None:  # the scale the prompt asks for (GEval: 0-10)
                low, high, as_int = j.score_range
                value, integer = low + value * (high - low), integer or as_int
            elif integer:
                value = round(value * 10)
        return _number(schema, value, integer)
    if kind == "boolean":
        if _EVASIVE.search(name):
            return j.evasive
        return not j.positive if _NEGATIVE.search(name) else j.positive
    if kind == "null":
        return None
    if kind == "string" or kind is None:
        return _string(name, schema, j)
    return None


def schema_from_request(body: dict[str, Any], prompt_text: str) -> dict[str, Any] | None:
    """The JSON schema a request asks for: response_format, else one embedded in the prompt."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        return spec.get("schema") or {"type": "object"}
    if fmt.get("type") == "json_object":
        return embedded_schema(prompt_text) or {
            "type": "object",
            "properties": {"answer": {"type": "string"}},
        }
    return None


def embedded_schema(text: str) -> dict[str, Any] | None:
    """The first JSON object in a text that looks like a schema (has `properties`)."""
    return next((o for o in _json_objects(text) if "properties" in o or "$defs" in o), None)


def judge_json(schema: dict[str, Any], prompt: Prompt, version: int, prompt_text: str) -> str:
    """The judge-mode answer: compact JSON of a schema-valid instance."""
    judgement = Judgement(prompt, version, prompt_text)
    return json.dumps(build_instance(schema, judgement), ensure_ascii=False)
