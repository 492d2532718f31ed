"""Langfuse: ingestion batches (v2 SDKs, the public `POST /api/public/ingestion`) and exports.

Documents (see `documents`) become one record per model call (observation of type GENERATION or
EMBEDDING), with its trace merged in as `_trace`:

- ingestion batches `{"batch": [event...]}` and bare event lists (Langfuse keeps one such list per
  entity in its event bucket). Events of one observation (`generation-create`, `generation-update`,
  legacy `observation-create`/`-update`, ...) are merged as Langfuse's worker merges them
  (worker/src/services/IngestionService: `toTimeSortedEventList`, `mapObservationEventsToRecords`,
  `mergeRecords`/`overwriteObject`, `getUsageUnits`, `calculateUsageCosts`): events sorted by
  their envelope timestamp (a create before an update of the same instant, else arrival order),
  later non-null (and non-empty) fields win, `id` and `traceId` keep their first value, metadata
  is deep-merged, input/output are the last truthy ones, usage and cost are those of the last
  event that carries any (each as a whole). Re-sent events collapse into the same call. Two
  departures: `startTime` is the first one given (Langfuse takes the first sorted event's
  `startTime ?? timestamp`, so an update sorted first would set it), and of the models the first
  is kept as the requested one and the last as the served one (Langfuse keeps only the last).
  Events Langfuse's schema refuses are quarantined on their own, naming the field.
- exports: the UI's trace download `{"trace", "observations"}` (and its newer `{"observations",
  "scores"}`), `GET /api/public/traces/{id}` (a trace with `observations` inline), lists of those
  `{"data": [trace...]}`, observation lists `{"data": [observation...], "meta"}` of
  `GET /api/public/observations` and `/v2/observations`, and arrays of observations (blob
  storage export rows, snake_case).

Tokens follow Langfuse's own usage-details contract: every `usageDetails` key is its own bucket
and the buckets add up (the SDKs subtract `input_*` details from `input`, the server turns OpenAI
usage into `input` + `input_cached_tokens` ...), and the input (output) count is the sum of every
key containing "input" ("output"): `reduceUsageOrCostDetails` in
packages/shared/src/server/repositories/observations_converters.ts. So `input_tokens` includes
cache reads and writes as this project's convention wants. Detail keys that do not name a side
(OpenInference's `prompt_details.cache_read`, `completion_details.reasoning`) are parts of
`input`/`output` already: they count for their kind only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from llmops.ingest.formats.paths import Paths, first_system

# Observation types that are model calls (an llm_calls row); spans, tools, agents ... are not.
CALL_TYPES = ("GENERATION", "EMBEDDING")
OBSERVATION_TYPES = (
    "GENERATION",
    "SPAN",
    "EVENT",
    "AGENT",
    "TOOL",
    "CHAIN",
    "RETRIEVER",
    "EVALUATOR",
    "EMBEDDING",
    "GUARDRAIL",
)
# Event type -> observation type (packages/shared/src/server/ingestion/types.ts, eventTypes).
EVENT_OBSERVATION_TYPES = {
    "generation-create": "GENERATION",
    "generation-update": "GENERATION",
    "span-create": "SPAN",
    "span-update": "SPAN",
    "event-create": "EVENT",
    "agent-create": "AGENT",
    "tool-create": "TOOL",
    "chain-create": "CHAIN",
    "retriever-create": "RETRIEVER",
    "evaluator-create": "EVALUATOR",
    "embedding-create": "EMBEDDING",
    "guardrail-create": "GUARDRAIL",
}
LEGACY_OBSERVATION_EVENTS = ("observation-create", "observation-update")  # type in the body
OTHER_EVENTS = ("trace-create", "score-create", "sdk-log", "dataset-run-item-create")
EVENT_TYPES = (*EVENT_OBSERVATION_TYPES, *LEGACY_OBSERVATION_EVENTS, *OTHER_EVENTS)
LEVELS = ("DEBUG", "DEFAULT", "WARNING", "ERROR")
TRACE_KEYS = ("id", "name", "userId", "sessionId", "metadata", "tags", "release", "version")


# --- the SQL mapping --------------------------------------------------------------------------


def _details_sum(details: str, cond: str) -> str:
    """SQL: sum of the `usageDetails` entries whose key satisfies `cond` (a condition on `{k}`,
    the lower-cased key)."""
    keep = cond.format(k="lower(e.key)")
    return (
        f"list_sum(list_transform(list_filter(map_entries({details}), lambda e: {keep}), "
        f"lambda e: TRY_CAST(TRY_CAST(e.value AS DOUBLE) AS BIGINT)))"
    )


def _tokens(p: Paths) -> dict[str, str]:
    """Token columns from `usageDetails` (camelCase API / merged events) or `usage_details`
    (blob-storage export rows), else the deprecated `usage` object."""
    raw = p("$.usageDetails", "$.usage_details")
    details = (
        f"from_json(CASE WHEN json_valid({raw}) AND json_type({raw}) = 'OBJECT' THEN {raw} END, "
        f"'\"MAP(VARCHAR, VARCHAR)\"')"
    )
    # Priority-tier keys are no buckets of their own (langfuse-python's `_parse_usage_model`
    # does not subtract them from input/output), so they are counted nowhere.
    plain = "NOT contains({k}, 'priority')"
    prompt_side = f"(contains({{k}}, 'input') OR contains({{k}}, 'prompt')) AND {plain}"
    completion_side = "(contains({k}, 'output') OR contains({k}, 'completion'))"

    def total(cond: str, *fallback: str) -> str:
        summed = _details_sum(details, cond)
        if not fallback:
            return summed
        return f"CASE WHEN {details} IS NULL THEN {p(*fallback)} ELSE ({summed})::VARCHAR END"

    return {
        "input_tokens": total(
            f"contains({{k}}, 'input') AND {plain}", "$.usage.input", "$.usage.promptTokens"
        ),
        "output_tokens": total(
            f"contains({{k}}, 'output') AND {plain}", "$.usage.output", "$.usage.completionTokens"
        ),
        "cached_tokens": total(
            f"(contains({{k}}, 'cache_read') OR contains({{k}}, 'cached')) "
            f"AND NOT {completion_side} AND {plain}"
        ),
        "cache_write_tokens": total(
            f"(contains({{k}}, 'cache_creation') OR contains({{k}}, 'cache_write')) "
            f"AND NOT {completion_side} AND {plain}"
        ),
        "reasoning_tokens": total(f"contains({{k}}, 'reasoning') AND {plain}"),
        "audio_input_tokens": total(f"contains({{k}}, 'audio') AND {prompt_side}"),
        "audio_output_tokens": total(f"contains({{k}}, 'audio') AND {completion_side} AND {plain}"),
        "image_input_tokens": total(f"contains({{k}}, 'image') AND {prompt_side}"),
    }


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths.

    Records are observations (API/UI export field names, or the merged ingestion events in the
    same shape) with their trace as `_trace` and the texts already picked out as `_input_text`,
    `_system_text`, `_output_text` (see `documents`); snake_case paths read blob-storage export
    rows, which reach the mapping line by line.
    """
    level = p("$.level")
    out = {
        "call_id": p("$.id"),
        "trace_id": p("$.traceId", "$._trace.id", "$.trace_id"),
        "started_at": p("$.startTime", "$.start_time"),
        "ended_at": p("$.endTime", "$.end_time"),
        "first_token_at": p("$.completionStartTime", "$.completion_start_time"),
        # exports give the latency in seconds (Langfuse: (end - start) / 1000)
        "latency_ms": f"TRY_CAST({p('$.latency')} AS DOUBLE) * 1000",
        "provider": p(
            "$.metadata.provider",
            "$.metadata.custom_llm_provider",
            "$.metadata.ls_provider",
            '$.metadata.attributes."gen_ai.provider.name"',
            '$.metadata.attributes."gen_ai.system"',
            '$.metadata.attributes."llm.provider"',
            '$.metadata.attributes."llm.system"',
        ),
        "requested_model": p("$.model", "$.providedModelName", "$.provided_model_name"),
        "served_model": p(
            "$.metadata.served_model",
            "$._served_model",
            "$.model",
            "$.providedModelName",
            "$.provided_model_name",
        ),
        "prompt_name": p("$.promptName", "$.prompt_name", "$.metadata.prompt_name"),
        "prompt_version": p("$.promptVersion", "$.prompt_version", "$.metadata.prompt_version"),
        "feature": p(
            "$.metadata.feature",
            "$._trace.metadata.feature",
            "$._trace.name",
            "$.traceName",
            "$.trace_name",
        ),
        "team": p("$.metadata.team", "$._trace.metadata.team"),
        "user_id": p("$._trace.userId", "$.userId", "$.user_id"),
        "status": f"CASE WHEN upper({level}) = 'ERROR' THEN 'error' ELSE 'success' END",
        "error_type": (
            f"CASE WHEN upper({level}) = 'ERROR' "
            f"THEN {p('$.statusMessage', '$.status_message')} END"
        ),
        "reported_cost_usd": p(
            "$.costDetails.total",
            "$.calculatedTotalCost",
            "$.totalCost",
            "$.cost_details.total",
            "$.total_cost",
            "$.usage.totalCost",
            "$.metadata.litellm_response_cost",
        ),
        "input_text": p("$._input_text", "$.input.messages[#-1].content"),
        "system_text": (
            f"coalesce({p('$._system_text')}, {first_system(p, '$.input.messages')}, "
            f"{first_system(p, '$.input')})"
        ),
        "input_messages": p("$.input.messages", "$.input"),
        "output_text": p("$._output_text", "$.output.content", "$.output"),
        # why Langfuse itself would reject the event (used once llm_calls checks a raw `invalid`)
        "invalid": p("$._invalid"),
    }
    out.update(_tokens(p))
    return out


# --- detection ----------------------------------------------------------------------------------


def _is_event(rec: Any) -> bool:
    return isinstance(rec, dict) and "type" in rec and "body" in rec


def _is_observation(rec: Any) -> bool:
    return (
        isinstance(rec, dict)
        and rec.get("type") in OBSERVATION_TYPES
        and ({"startTime", "traceId"} <= rec.keys() or {"start_time", "trace_id"} <= rec.keys())
    )


def _is_trace(rec: Any) -> bool:
    return isinstance(rec, dict) and isinstance(rec.get("observations"), list) and "id" in rec


def detects(rec: dict[str, Any]) -> bool:
    """A Langfuse ingestion event or batch, an exported observation, or a record of ours."""
    keys = rec.keys()
    if "batch" in keys or "_trace" in keys or "_invalid" in keys:
        return True
    kind = rec.get("type")
    if {"type", "body"} <= keys and isinstance(kind, str):
        return kind in EVENT_TYPES or kind.endswith(("-create", "-update"))
    return _is_observation(rec)


# --- documents ----------------------------------------------------------------------------------


def documents(doc: Any) -> list[tuple[int, Any]] | None:
    """Numbered call records of a Langfuse document; None when it is not one."""
    if isinstance(doc, dict):
        if isinstance(doc.get("batch"), list):
            return generations(doc["batch"])
        if _is_event(doc) and doc["type"] in EVENT_TYPES:  # one event (a line of an event log)
            return generations([doc])
        if _is_observation(doc):  # one exported observation (a line of a blob export)
            return _exported([({}, [doc])])
        if isinstance(doc.get("observations"), list):
            if isinstance(doc.get("trace"), dict):  # the UI's trace download
                return _exported([(doc["trace"], doc["observations"])])
            if "id" in doc:  # GET /api/public/traces/{id}: a trace with its observations
                return _exported([(doc, doc["observations"])])
            if "scores" in doc and _all(doc["observations"], _is_observation):  # new download
                return _exported([({}, doc["observations"])])
        data = doc.get("data")
        if isinstance(data, list) and data:
            if _all(data, _is_trace):  # traces with their observations
                return _exported([(t, t["observations"]) for t in data])
            if _all(data, _is_observation):  # GET /observations, /v2/observations
                return _exported([({}, data)])
        return None
    if isinstance(doc, list) and doc:
        if _all(doc, _is_event):
            return generations(doc)
        if _all(doc, _is_observation):
            return _exported([({}, doc)])
        if _all(doc, _is_trace):
            return _exported([(t, t["observations"]) for t in doc])
    return None


def _all(items: list[Any], test: Any) -> bool:
    """Whether the first items (a sample) all pass `test`."""
    return bool(items) and all(test(x) for x in items[:5])


def _exported(traces: list[tuple[dict[str, Any], list[Any]]]) -> list[tuple[int, Any]]:
    """Model-call observations of exported traces, numbered by their place in the file."""
    out: list[tuple[int, Any]] = []
    n = 0
    for trace, observations in traces:
        slim = _slim_trace(trace) if isinstance(trace, dict) else {}
        for obs in observations:
            n += 1
            if isinstance(obs, str):
                continue  # an observation id (GET /traces lists ids only): no call to read
            if not isinstance(obs, dict):
                out.append((n, obs))  # quarantined downstream
                continue
            if str(obs.get("type", "")).upper() not in CALL_TYPES:
                continue
            rec = dict(obs)
            for key in ("input", "output", "metadata"):
                if key in rec:
                    rec[key] = _decoded(rec[key])
            rec["_trace"] = slim
            out.append((n, _with_texts(rec)))
    return out


def _slim_trace(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace fields a call takes (id, name, user, metadata ...), without its inputs/outputs."""
    slim = {k: trace[k] for k in TRACE_KEYS if trace.get(k) is not None}
    if "metadata" in slim:
        slim["metadata"] = _decoded(slim["metadata"])
    return slim


# --- ingestion events -------------------------------------------------------------------------


def generations(events: list[Any]) -> list[tuple[int, Any]]:
    """One record per model call of an ingestion batch: its events merged as Langfuse merges
    them, numbered by the position of its first event, with the merged trace as `_trace`."""
    traces: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    observations: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    out: list[tuple[int, Any]] = []
    for i, event in enumerate(events, start=1):
        if not isinstance(event, dict) or "type" not in event:
            out.append((i, event))  # not an event at all: quarantined downstream
            continue
        kind = event["type"]
        body = event.get("body")
        if kind == "trace-create":
            if isinstance(body, dict) and body.get("id"):
                traces.setdefault(str(body["id"]), []).append((i, event))
            continue
        if kind in OTHER_EVENTS:
            continue  # scores, SDK logs, dataset run items: no model calls
        reason = _rejected(event)
        if reason is not None:
            if _observation_type(event) in (None, *CALL_TYPES):  # (not for spans, tools ...)
                out.append((i, {"_invalid": reason, **event}))  # Langfuse refuses it too
            continue
        observations.setdefault(str(body["id"]), []).append((i, event))

    merged_traces = {tid: _merge_trace(evs) for tid, evs in traces.items()}
    for group in observations.values():
        rec = _merge_observation(group)
        if rec["type"] not in CALL_TYPES:
            continue
        trace_id = rec.get("traceId")
        if trace_id is None and len(merged_traces) == 1:  # single-trace batch, link implied
            trace_id = next(iter(merged_traces))
        rec["_trace"] = merged_traces.get(str(trace_id), {})
        out.append((group[0][0], _with_texts(rec)))
    out.sort(key=lambda r: r[0])
    return out


def _observation_type(event: dict[str, Any]) -> str | None:
    kind = event.get("type")
    if kind in LEGACY_OBSERVATION_EVENTS:
        body = event.get("body")
        return body.get("type") if isinstance(body, dict) else None
    return EVENT_OBSERVATION_TYPES.get(str(kind))


def _rejected(event: dict[str, Any]) -> str | None:
    """Why Langfuse's ingestion schema (packages/shared/src/server/ingestion/types.ts) refuses
    an observation event, naming the field; None when it accepts it."""
    kind = event["type"]
    if kind not in EVENT_OBSERVATION_TYPES and kind not in LEGACY_OBSERVATION_EVENTS:
        return f"field type: unknown event type ({str(kind)[:40]})"
    body = event.get("body")
    if not isinstance(body, dict):
        return "field body: not an object"
    if not isinstance(body.get("id"), str) or not body["id"]:
        return "field body.id: missing"
    if kind in LEGACY_OBSERVATION_EVENTS and body.get("type") not in (
        "GENERATION",
        "SPAN",
        "EVENT",
    ):
        return f"field body.type: not GENERATION, SPAN or EVENT ({str(body.get('type'))[:40]})"
    level = body.get("level")
    if level is not None and level not in LEVELS:
        return f"field body.level: not one of {', '.join(LEVELS)} ({str(level)[:40]})"
    for key in ("startTime", "endTime", "completionStartTime"):
        value = body.get(key)
        if value is not None and _timestamp(value) is None:
            return f"field body.{key}: not a timestamp ({str(value)[:40]})"
    name, version = body.get("promptName"), body.get("promptVersion")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        return f"field body.promptVersion: not an integer ({str(version)[:40]})"
    if bool(name) != bool(version) and (name or version):
        return "field body.promptName: promptName and promptVersion go together"
    return None


def _timestamp(value: Any) -> datetime | None:
    """An ISO timestamp (UTC when it has no offset), or None."""
    if not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _in_time_order(group: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """Langfuse's `toTimeSortedEventList`: by envelope timestamp, a create before an update of
    the same instant; arrival order decides the rest (and everything when a stamp is missing)."""
    stamps = [_timestamp(ev.get("timestamp")) for _, ev in group]
    if any(s is None for s in stamps):
        return group
    order = sorted(
        range(len(group)),
        key=lambda j: (stamps[j], 0 if "create" in str(group[j][1].get("type")) else 1, j),
    )
    return [group[j] for j in order]


def _js_truthy(value: Any) -> bool:
    """JavaScript truthiness (Langfuse takes the last *truthy* input and output)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _deep_merge(a: Any, b: Any) -> Any:
    """lodash `merge` of two metadata values: objects key by key, anything else replaced."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _deep_merge(out.get(k), v) if k in out else v
        return out
    return b


def _merge_trace(group: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for _, event in _in_time_order(group):
        for key, value in event["body"].items():
            if key not in TRACE_KEYS or value is None or value == {} or value == []:
                continue
            if key == "id":
                merged.setdefault(key, value)
            elif key == "metadata":
                merged[key] = _deep_merge(merged.get(key), _decoded(value))
            else:
                merged[key] = value
    return merged


SPECIAL_KEYS = ("id", "traceId", "startTime", "model", "usage", "usageDetails", "costDetails")


def _merge_observation(group: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """The events of one observation as one record (Langfuse's merge, see the module doc)."""
    ordered = _in_time_order(group)
    rec: dict[str, Any] = {"id": ordered[0][1]["body"]["id"]}
    models: list[str] = []
    start: Any = None
    usage: dict[str, float] = {}
    cost: dict[str, float] = {}
    for _, event in ordered:
        body = event["body"]
        rec["type"] = _observation_type(event)
        for key, value in body.items():
            if key in ("input", "output"):
                if _js_truthy(value):
                    rec[key] = value
                continue
            if value is None or value == {} or value == []:
                continue  # undefined and empty objects never overwrite
            if key == "traceId":
                rec.setdefault("traceId", value)
            elif key == "startTime":
                start = start or value
            elif key == "model":
                models.append(value)
            elif key in SPECIAL_KEYS or key == "type":
                continue
            elif key == "metadata":
                rec["metadata"] = _deep_merge(rec.get("metadata"), value)
            else:
                rec[key] = value
        usage = _provided_usage(body) or usage
        cost = _provided_cost(body) or cost
    # startTime: the first one given, else the first event's envelope timestamp (Langfuse:
    # `startTime ?? timestamp`), so an update whose create is elsewhere still has a start
    rec["startTime"] = start or ordered[0][1].get("timestamp")
    if models:
        rec["model"] = models[0]  # what the application asked for (the create's)
        rec["_served_model"] = models[-1]  # the last one reported (the response's)
    usage = {k: v for k, v in usage.items() if v >= 0}  # `normalizeProvidedUsageDetails`
    if usage:
        rec["usageDetails"] = usage
    if cost:
        total = cost.get("total")
        if total is None and set(cost) <= {"input", "output"}:  # `calculateUsageCosts`
            cost["total"] = cost.get("input", 0) + cost.get("output", 0)
        rec["costDetails"] = cost
    return rec


def _number(value: Any, *, integer: bool) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if integer and not float(value).is_integer():
        return None
    return int(value) if integer else float(value)


def _provided_usage(body: dict[str, Any]) -> dict[str, float]:
    """One event's provided usage (`mapObservationEventsToRecords`): `usage` input/output/total,
    overlaid by the `usageDetails` entries (OpenAI usage turned into Langfuse buckets first)."""
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    if any(k in usage for k in ("promptTokens", "completionTokens", "totalTokens")):
        usage = {  # `usage` schema: the OpenAI style counts become input/output/total
            "input": usage.get("promptTokens"),
            "output": usage.get("completionTokens"),
            "total": usage.get("totalTokens"),
        }
    details = _usage_details(body.get("usageDetails"))
    inp = _number(usage.get("input"), integer=True)
    out = _number(usage.get("output"), integer=True)
    total = _number(usage.get("total"), integer=True)
    if not total:  # `usage.total || (no usageDetails ? input + output : undefined)`
        total = (
            None if details else (inp + out if inp and out else (inp if inp is not None else out))
        )
    provided = {
        k: v for k, v in (("input", inp), ("output", out), ("total", total)) if v is not None
    }
    provided.update(details)
    return provided


OPENAI_USAGE = (
    ("prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"),
    ("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details"),
)


def _usage_details(value: Any) -> dict[str, float]:
    """The server's `UsageDetails` schema: OpenAI Chat Completions or Responses usage becomes
    `input`/`output`/`total` minus each detail, plus `input_<detail>`/`output_<detail>`; any
    other object keeps its non-negative integer entries (`RawUsageDetails`)."""
    if not isinstance(value, dict):
        return {}
    for inp, out, inp_details, out_details in OPENAI_USAGE:
        allowed = {inp, out, "total_tokens", inp_details, out_details}
        counts = [_number(value.get(k), integer=True) for k in (inp, out, "total_tokens")]
        if set(value) <= allowed and all(c is not None and c >= 0 for c in counts):
            result = {"input": counts[0], "output": counts[1], "total": counts[2]}
            for side, key in (("input", inp_details), ("output", out_details)):
                for name, n in (value.get(key) or {}).items():
                    n = _number(n, integer=True)
                    if n is not None:
                        result[f"{side}_{name}"] = n
                        result[side] = max(result[side] - n, 0)
            return result
    out_raw: dict[str, float] = {}
    for key, n in value.items():
        if isinstance(n, str) and n.strip().isdigit():
            n = int(n.strip())
        n = _number(n, integer=True)
        if n is not None and n >= 0:
            out_raw[key] = n
    return out_raw


def _provided_cost(body: dict[str, Any]) -> dict[str, float]:
    """One event's provided cost: `usage` inputCost/outputCost/totalCost, overlaid by the
    non-negative `costDetails` entries (`CostDetails` schema)."""
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    cost: dict[str, float] = {}
    for key, name in (("inputCost", "input"), ("outputCost", "output"), ("totalCost", "total")):
        n = _number(usage.get(key), integer=False)
        if n is not None:
            cost[name] = n
    details = body.get("costDetails")
    if isinstance(details, dict):
        for key, value in details.items():
            n = _number(value, integer=False)
            if n is not None and n >= 0:
                cost[key] = n
    return cost


# --- texts ----------------------------------------------------------------------------------


def _decoded(value: Any, depth: int = 3) -> Any:
    """A value that may hold JSON as (possibly repeatedly) encoded text, decoded."""
    while depth and isinstance(value, str) and value.strip()[:1] in ("{", "[", '"'):
        try:
            value = json.loads(value)
        except ValueError:
            break
        depth -= 1
    return value


def _dump(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _content_text(content: Any) -> str | None:
    """Text of a message's content: a string, or the text parts of a list of parts."""
    if content is None or content == "":
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [t for t in map(_content_text, content) if t]
        return "\n".join(texts) if texts else None
    if isinstance(content, dict):
        for key in ("text", "content", "parts"):
            if key in content:
                return _content_text(content[key])
    return None


def _messages(value: Any) -> list[dict[str, Any]] | None:
    """The chat messages of an input/output: a list of messages or `{messages: [...]}`."""
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if (
        isinstance(value, list)
        and value
        and all(isinstance(m, dict) for m in value)
        and any("role" in m for m in value)
    ):
        return value
    return None


def _role(message: dict[str, Any]) -> str:
    return str(message.get("role") or message.get("type") or "").lower()


def input_text(value: Any) -> str | None:
    """The user side of a call's input: the newest user message, else the text as logged."""
    value = _decoded(value)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    messages = _messages(value)
    if messages is not None:
        users = [m for m in messages if _role(m) in ("user", "human")]
        others = [m for m in messages if _role(m) not in ("system", "developer")]
        pick = (users or others or messages)[-1]
        return _content_text(pick.get("content")) or _dump(pick)
    if isinstance(value, dict):
        if "role" in value and "content" in value:
            return _content_text(value["content"]) or _dump(value)
        for key in ("prompt", "text", "content", "contents", "query", "question", "input", "args"):
            if value.get(key) not in (None, "", [], {}):
                return input_text(value[key])
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "\n".join(value)
    return _dump(value)


def system_text(value: Any) -> str | None:
    """The system prompt of a call's input: its system/developer messages or `system` field."""
    value = _decoded(value)
    messages = _messages(value)
    if messages is not None:
        texts = [
            _content_text(m.get("content")) for m in messages if _role(m) in ("system", "developer")
        ]
        return "\n".join(t for t in texts if t) or None
    if isinstance(value, dict):
        for key in ("system", "instructions"):
            if value.get(key):
                return _content_text(value[key])
    return None


def output_text(value: Any) -> str | None:
    """The model's answer in a call's output: a string, a message, a provider response."""
    value = _decoded(value)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        messages = _messages(value)
        if messages is not None:
            answers = [m for m in messages if _role(m) not in ("user", "human", "system")]
            return output_text((answers or messages)[-1])
        return _content_text(value) or _dump(value)
    if isinstance(value, dict):
        if isinstance(value.get("choices"), list) and value["choices"]:  # Chat Completions
            choice = value["choices"][0]
            if isinstance(choice, dict):
                return output_text(choice.get("message") or choice.get("text"))
        if isinstance(value.get("candidates"), list) and value["candidates"]:  # Gemini
            candidate = value["candidates"][0]
            if isinstance(candidate, dict):
                text = _content_text(candidate.get("content"))
                if text:
                    return text
        if isinstance(value.get("output"), list):  # OpenAI Responses
            texts = [
                _content_text(item.get("content"))
                for item in value["output"]
                if isinstance(item, dict) and item.get("type") == "message"
            ]
            if any(texts):
                return "\n".join(t for t in texts if t)
        for key in ("content", "text", "completion", "output"):
            if key in value:
                text = _content_text(value[key]) if key != "output" else output_text(value[key])
                if text:
                    return text
        if value.get("tool_calls"):
            return _dump(value["tool_calls"])
    return _dump(value)


def _with_texts(rec: dict[str, Any]) -> dict[str, Any]:
    """The record with its user input, system prompt and answer picked out for the audits."""
    for key, pick, source in (
        ("_input_text", input_text, "input"),
        ("_system_text", system_text, "input"),
        ("_output_text", output_text, "output"),
    ):
        if rec.get(source) is not None:
            text = pick(rec[source])
            if text:
                rec[key] = text
    return rec
