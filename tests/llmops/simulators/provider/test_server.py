"""The simulator over HTTP: models, chat, streaming, judge mode, embeddings, faults, versions."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable

import httpx
import jsonschema
import pytest

from llmops.simulators.provider.text import sentences, token_f1
from tests.builders.provider import qa_items, rag_messages

ITEM = qa_items()[1]


def chat(url: str, **body: object) -> httpx.Response:
    """POST a chat completion."""
    payload = {"model": "gpt-4o-mini", "messages": rag_messages(ITEM["context"], ITEM["question"])}
    return httpx.post(f"{url}/v1/chat/completions", json={**payload, **body}, timeout=10)


def test_health_and_models_with_and_without_v1_prefix(sim_url: str) -> None:
    assert httpx.get(f"{sim_url}/health").json()["status"] == "ok"
    for path in ("/v1/models", "/models"):
        ids = {m["id"] for m in httpx.get(sim_url + path).json()["data"]}
        assert {"gpt-4o-mini", "gpt-4o-mini-sim-v1", "text-embedding-3-small"} <= ids


def test_chat_is_deterministic_grounded_and_counts_tokens(sim_url: str) -> None:
    first, second = chat(sim_url).json(), chat(sim_url).json()
    answer = first["choices"][0]["message"]["content"]
    assert answer == second["choices"][0]["message"]["content"] == ITEM["reference"]
    assert all(s in ITEM["context"] for s in sentences(answer))
    assert first["model"] == "gpt-4o-mini-sim-v1"
    assert first["system_fingerprint"].startswith("fp_sim_v1_")
    usage = first["usage"]
    assert 40 < usage["prompt_tokens"] < 120 and 5 < usage["completion_tokens"] < 20
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    no_prefix = httpx.post(f"{sim_url}/chat/completions", json={"model": "m", "messages": []})
    assert no_prefix.status_code == 400 and "messages" in no_prefix.json()["error"]["message"]


def test_max_tokens_truncates_with_finish_reason_length(sim_url: str) -> None:
    body = chat(sim_url, max_tokens=3).json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 3


def test_stream_reassembles_to_the_same_text_with_usage(sim_url: str) -> None:
    plain = chat(sim_url).json()
    resp = chat(sim_url, stream=True, stream_options={"include_usage": True})
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in resp.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == plain["choices"][0]["message"]["content"]
    assert len(chunks) > 4 and chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == plain["usage"]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"


JUDGE_SCHEMA = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},
        "verdict": {"type": "string", "enum": ["yes", "no", "idk"]},
        "score": {"type": "number", "minimum": 0, "maximum": 10},
        "claims": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
    "required": ["reason", "verdict", "score", "claims"],
    "additionalProperties": False,
}


def test_json_schema_mode_validates(sim_url: str) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "judge", "schema": JUDGE_SCHEMA}}
    content = chat(sim_url, response_format=fmt).json()["choices"][0]["message"]["content"]
    obj = json.loads(content)
    jsonschema.validate(obj, JUDGE_SCHEMA)
    obj_mode = chat(sim_url, response_format={"type": "json_object"}).json()
    assert isinstance(json.loads(obj_mode["choices"][0]["message"]["content"]), dict)


def test_tool_call_arguments_follow_the_function_schema(sim_url: str) -> None:
    tools = [{"type": "function", "function": {"name": "judge", "parameters": JUDGE_SCHEMA}}]
    body = chat(sim_url, tools=tools, tool_choice="required").json()
    call = body["choices"][0]["message"]["tool_calls"][0]
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    jsonschema.validate(json.loads(call["function"]["arguments"]), JUDGE_SCHEMA)


def test_embeddings_deterministic_unit_and_similar_closer(sim_url: str) -> None:
    texts = ["The cat sat on the mat.", "The cat sat on a mat.", "Interest rates rose in March."]

    def vectors() -> list[list[float]]:
        resp = httpx.post(f"{sim_url}/v1/embeddings", json={"model": "e", "input": texts})
        assert resp.json()["usage"]["prompt_tokens"] > 10
        return [d["embedding"] for d in resp.json()["data"]]

    a, b, c = vectors()
    assert [a, b, c] == vectors() and len(a) == 256
    assert math.isclose(sum(x * x for x in a), 1.0, rel_tol=1e-9)
    dot = lambda u, v: sum(x * y for x, y in zip(u, v, strict=True))  # noqa: E731
    assert dot(a, b) > dot(a, c)


def test_openai_client_base64_embeddings(sim_url: str) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{sim_url}/v1", api_key="sim", max_retries=0)
    vec = client.embeddings.create(model="text-embedding-3-small", input="hello").data[0].embedding
    assert len(vec) == 256 and math.isclose(sum(x * x for x in vec), 1.0, rel_tol=1e-5)


def test_error_injection_mixes_429_500_and_retries_succeed(sim_factory: Callable[..., str]) -> None:
    url = sim_factory(error_rate=0.5, timeout_share=0.0, seed=7)
    statuses = Counter(
        chat(url, messages=[{"role": "user", "content": f"Question {i}?"}]).status_code
        for i in range(40)
    )
    assert statuses[200] and statuses[429] and statuses[500], statuses
    msgs = [{"role": "user", "content": "retry me"}]
    attempts = [chat(url, messages=msgs) for _ in range(12)]
    codes = [r.status_code for r in attempts]
    assert 200 in codes
    limited = next((r for r in attempts if r.status_code == 429), None)
    if limited is not None:
        assert limited.headers["retry-after"] == "1"
        assert limited.json()["error"]["type"] == "rate_limit_error"


def test_timeout_fault_stalls_past_the_client_timeout(sim_factory: Callable[..., str]) -> None:
    url = sim_factory(error_rate=1.0, timeout_share=1.0, timeout_seconds=1.5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
            timeout=0.3,
        )


def test_version_bump_changes_fingerprint_name_and_quality(
    sim_url: str, sim_factory: Callable[..., str]
) -> None:
    v2 = sim_factory(model_version=2)

    def run(url: str) -> tuple[float, dict]:
        scores, last = [], {}
        for item in qa_items():
            last = chat(url, messages=rag_messages(item["context"], item["question"])).json()
            scores.append(token_f1(last["choices"][0]["message"]["content"], item["reference"]))
        return sum(scores) / len(scores), last

    f1_v1, r1 = run(sim_url)
    f1_v2, r2 = run(v2)
    assert r1["system_fingerprint"] != r2["system_fingerprint"]
    assert (r1["model"], r2["model"]) == ("gpt-4o-mini-sim-v1", "gpt-4o-mini-sim-v2")
    assert f1_v1 > 0.95 and f1_v2 < f1_v1 - 0.3, (f1_v1, f1_v2)
