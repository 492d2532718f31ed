"""The producers' SDKs configured the way README's "Send telemetry" says, sending to a running
llmops collector (its URL and credentials in the children's environment: COLLECTOR_URL,
COLLECTOR_TOKEN, COLLECTOR_PUBLIC_KEY, COLLECTOR_SECRET_KEY) while calling the provider
simulator. Each runs in a process of its own (`run_children`): instrumentations patch `openai`.

- `otel_protobuf`: the OpenTelemetry SDK with `opentelemetry-exporter-otlp-proto-http`, set up
  only by OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_HEADERS, and the openai-v2
  instrumentation (latest GenAI semconv, content on spans): the three calls of
  `otel_sdks.make_calls` (chat, streamed chat, a call to a closed port). Span ids seed 21.
- `otel_json`: the same with `opentelemetry-exporter-otlp-json-http` (OTLP/JSON). Seed 22.
- `langfuse_sdk`: the Langfuse SDK (LANGFUSE_HOST / _PUBLIC_KEY / _SECRET_KEY = the collector)
  with its OpenAI integration: one chat completion inside a trace with a user id.
- `litellm_generic_api`: litellm's GenericAPILogger (GENERIC_LOGGER_ENDPOINT /
  GENERIC_LOGGER_HEADERS) as a callback: two acompletions to the simulator, the batch flushed
  (`llmops.demo.collector.litellm_calls`, which the demo's live step also uses).
"""

from __future__ import annotations

import os
from pathlib import Path

QUESTION_LF = "Which plan includes SSO?"
QUESTION_LITELLM = "Summarise my last invoice in one line."


def _otel(seed: int, exporter_cls, out_dir: Path, api_base: str) -> Path:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from tests.builders.telemetry.otel_sdks import (
        CAPTURE,
        LATEST,
        _env,
        _providers,
        _run_openai_v2,
        counting_ids,
    )

    url, token = os.environ["COLLECTOR_URL"], os.environ["COLLECTOR_TOKEN"]
    _, _, logger_provider, _ = _providers(seed, "collector-client")
    provider = TracerProvider(
        resource=Resource.create({"service.name": "collector-client"}),
        id_generator=counting_ids(seed),
    )
    with _env(
        OTEL_EXPORTER_OTLP_ENDPOINT=url,
        OTEL_EXPORTER_OTLP_HEADERS=f"Authorization=Bearer {token}",
    ):
        provider.add_span_processor(BatchSpanProcessor(exporter_cls()))
        with _env(**LATEST, **{CAPTURE: "span_only"}):
            _run_openai_v2(provider, logger_provider, api_base, legacy=False)
        if not provider.force_flush(10_000):
            raise AssertionError("spans were not exported")
        provider.shutdown()
    marker = out_dir / f"otel-{seed}.done"
    marker.write_text("sent\n")
    return marker


def otel_protobuf(out_dir: Path, api_base: str) -> Path:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return _otel(21, OTLPSpanExporter, out_dir, api_base)


def otel_json(out_dir: Path, api_base: str) -> Path:
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter

    return _otel(22, OTLPSpanExporter, out_dir, api_base)


def langfuse_sdk(out_dir: Path, api_base: str) -> Path:
    os.environ.update(
        LANGFUSE_HOST=os.environ["COLLECTOR_URL"],
        LANGFUSE_PUBLIC_KEY=os.environ["COLLECTOR_PUBLIC_KEY"],
        LANGFUSE_SECRET_KEY=os.environ["COLLECTOR_SECRET_KEY"],
    )
    from langfuse import get_client, propagate_attributes
    from langfuse.openai import OpenAI

    from tests.builders.telemetry.otel_sdks import MODEL

    langfuse = get_client()
    if not langfuse.auth_check():
        raise AssertionError("the Langfuse SDK's auth check failed against the collector")
    with (
        langfuse.start_as_current_observation(name="plan-question", as_type="span"),
        propagate_attributes(user_id="user-lf-7", session_id="session-lf"),
    ):
        client = OpenAI(base_url=api_base, api_key="sk-collector", max_retries=0)
        client.chat.completions.create(
            name="answer", model=MODEL, messages=[{"role": "user", "content": QUESTION_LF}]
        )
    langfuse.flush()
    langfuse.shutdown()
    marker = out_dir / "langfuse.done"
    marker.write_text("sent\n")
    return marker


def litellm_generic_api(out_dir: Path, api_base: str) -> Path:
    os.environ.update(
        GENERIC_LOGGER_ENDPOINT=f"{os.environ['COLLECTOR_URL']}/v1/litellm",
        GENERIC_LOGGER_HEADERS=f"Authorization=Bearer {os.environ['COLLECTOR_TOKEN']}",
    )
    from llmops.demo.collector import litellm_calls

    litellm_calls(api_base, [f"{QUESTION_LITELLM} ({i})" for i in range(2)], "user-litellm-3")
    marker = out_dir / "litellm.done"
    marker.write_text("sent\n")
    return marker


CHILDREN = [
    ("tests.builders.telemetry.to_collector", "otel_protobuf"),
    ("tests.builders.telemetry.to_collector", "otel_json"),
    ("tests.builders.telemetry.to_collector", "langfuse_sdk"),
    ("tests.builders.telemetry.to_collector", "litellm_generic_api"),
]
