"""OpenTelemetry GenAI artifacts written by the instrumentations themselves, offline.

Every generator makes the same three calls with the real `openai` client against the provider
simulator: a chat completion (system + user message, `service_tier="flex"`, `user=...`), the same
call streamed (with usage), and a call to a closed loopback port (`APIConnectionError`).
The instrumentation records them with a TracerProvider whose id generator counts (so span ids,
and the `call_id`s of calls without a response id, are known in advance) and the artifact is
what the SDK's own exporters put on the wire:

- protobuf: the body the OTLP/HTTP exporter POSTs to a loopback capture server (`.pb`, or
  `.pb.gz` when the exporter gzips it);
- JSON: the SDK's OTLP encoders (`encode_spans` / `encode_logs`) rendered with protobuf's JSON
  mapping (`MessageToDict`, which writes ids in base64); traces and logs of the same calls are
  written as a JSON array of the two export requests.

The artifacts are written by child interpreters run side by side (`telemetry.artifact`,
once per simulator; each generator copies its file from their folder): instrumentors patch
`openai` globally and OpenLIT's init is process-wide, so none of it runs in the test process.
The three openai-v2 modes share a process (each uninstrumented before the next, its
environment variables set only while it runs); OpenLLMetry's two modes and OpenLIT get one each.

opentelemetry-instrumentation-openai-v2 2.4b0 does not import against the locked
opentelemetry-util-genai 1.3b0 (`opentelemetry.util.genai.instruments` was renamed
`_instruments`, `TelemetryHandler.start_inference` renamed `inference`). `_openai_v2_compat`
puts back exactly those two names (the histograms from the semconv package's own factories);
every attribute, event and log record is still the instrumentation's and util-genai's code.
With util-genai 1.3b0 `is_experimental_mode()` is always true, so the instrumentation's
v1.30 (event-based) code path is reached by making it return False, as older util-genai did
without `OTEL_SEMCONV_STABILITY_OPT_IN`.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.builders.telemetry import CaptureServer, artifact

SYSTEM = "You answer from the context only."
QUESTION = (
    "Context: The lake stores calls in Parquet files. Budgets are set per team.\n"
    "Question: Where are calls stored?"
)
MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
MODEL = "gpt-4o-mini"
USER = "user-42"
# OpenLIT's own price of gpt-4o-mini (per 1K tokens), verbatim from openlit/openlit
# assets/pricing.json at ad20b7b4c282f5c19239937f3bb485ec380e772e: offline, no price download.
OPENLIT_PRICING = {
    "chat": {
        "gpt-4o-mini": {
            "promptPrice": 0.00015,
            "completionPrice": 0.0006,
            "cacheReadPrice": 7.5e-05,
        }
    }
}


# ---- generators (called by the conformance test) -----------------------------------------


def _artifact(name: str, out_dir: Path, api_base: str) -> Path:
    return artifact(name, out_dir, api_base)


def openai_v2_span_only(out_dir: Path, api_base: str) -> Path:
    """openai-v2, latest experimental semconv, content on span attributes; OTLP/HTTP gzip body."""
    return _artifact("openai-v2-span-only.pb.gz", out_dir, api_base)


def openai_v2_event_only(out_dir: Path, api_base: str) -> Path:
    """openai-v2, latest experimental semconv, content only in the
    `gen_ai.client.inference.operation.details` log event; traces + logs as OTLP JSON."""
    return _artifact("openai-v2-event-only.json", out_dir, api_base)


def openai_v2_legacy_events(out_dir: Path, api_base: str) -> Path:
    """openai-v2 on its v1.30 path: `gen_ai.system`, content in `gen_ai.{system,user}.message`
    and `gen_ai.choice` log events; traces + logs as OTLP JSON."""
    return _artifact("openai-v2-legacy-events.json", out_dir, api_base)


def openllmetry_attributes(out_dir: Path, api_base: str) -> Path:
    """OpenLLMetry's opentelemetry-instrumentation-openai, default (content as span attributes,
    one span event per streamed chunk); traces as OTLP JSON."""
    return _artifact("openllmetry-attributes.json", out_dir, api_base)


def openllmetry_events(out_dir: Path, api_base: str) -> Path:
    """OpenLLMetry with `use_attributes=False`: content in log events; traces + logs as JSON."""
    return _artifact("openllmetry-events.json", out_dir, api_base)


def openlit_otlp(out_dir: Path, api_base: str) -> Path:
    """OpenLIT (`openlit.init`, only its OpenAI instrumentor, no metrics) exporting to loopback:
    the OTLP/HTTP traces body."""
    return _artifact("openlit-traces.pb", out_dir, api_base)


# ---- shared by the children --------------------------------------------------------------


def counting_ids(seed: int) -> Any:
    """An OpenTelemetry IdGenerator giving trace ids `seed << 96 | n` and span ids
    `seed << 48 | n`, n = 1, 2, ... (hex: span 1 of seed 2 is 0002000000000001)."""
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    class Counting(IdGenerator):
        def __init__(self) -> None:
            self.spans = 0
            self.traces = 0

        def generate_span_id(self) -> int:
            self.spans += 1
            return (seed << 48) | self.spans

        def generate_trace_id(self) -> int:
            self.traces += 1
            return (seed << 96) | self.traces

    return Counting()


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_calls(api_base: str, openai_module: Any = None) -> None:
    """The three calls every generator records (see the module docstring)."""
    if openai_module is None:
        import openai as openai_module
    client = openai_module.OpenAI(base_url=api_base, api_key="sk-conformance", max_retries=0)
    client.chat.completions.create(model=MODEL, messages=MESSAGES, service_tier="flex", user=USER)
    stream = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    for _ in stream:
        pass
    dead = openai_module.OpenAI(
        base_url=f"http://127.0.0.1:{_closed_port()}/v1", api_key="sk-conformance", max_retries=0
    )
    try:
        dead.chat.completions.create(model="gpt-4o", messages=MESSAGES[1:])
    except Exception as exc:  # noqa: BLE001 (the SDK's own connection error is the point)
        if type(exc).__name__ != "APIConnectionError":
            raise
    else:
        raise AssertionError("a call to a closed port succeeded")


def _providers(seed: int, service: str) -> tuple[Any, Any, Any, Any]:
    """(tracer provider, in-memory span exporter, logger provider, in-memory log exporter)."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import (
        InMemoryLogRecordExporter,
        SimpleLogRecordProcessor,
    )
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    resource = Resource.create({"service.name": service})
    tracer_provider = TracerProvider(resource=resource, id_generator=counting_ids(seed))
    spans = InMemorySpanExporter()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    logger_provider = LoggerProvider(resource=resource)
    logs = InMemoryLogRecordExporter()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    return tracer_provider, spans, logger_provider, logs


def write_otlp_json(path: Path, spans: list[Any], logs: list[Any] | None = None) -> Path:
    """Spans (and log records) through the SDK's OTLP encoders, as protobuf JSON: one export
    request, or `[traces, logs]` when there are log records."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    traces = MessageToDict(encode_spans(spans))
    doc: Any = [traces, MessageToDict(encode_logs(logs))] if logs else traces
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return path


def write_capture(path: Path, captured: list[Any]) -> Path:
    """The exporter's request body as sent (several bodies of one kind: concatenated, which
    protobuf reads as one message with their spans)."""
    import gzip

    if not captured:
        raise AssertionError("the exporter sent nothing")
    if len(captured) == 1:
        path.write_bytes(captured[0].body)
        return path
    raw = b"".join(
        gzip.decompress(c.body) if c.headers.get("Content-Encoding") == "gzip" else c.body
        for c in captured
    )
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def _openai_v2_compat() -> None:
    """The two names openai-v2 2.4b0 needs from util-genai 1.3b0 (see the module docstring)."""
    import sys
    import types

    try:
        import opentelemetry.util.genai.instruments  # noqa: F401
    except ModuleNotFoundError:
        from opentelemetry.semconv._incubating.metrics import gen_ai_metrics

        shim = types.ModuleType("opentelemetry.util.genai.instruments")
        shim.create_duration_histogram = gen_ai_metrics.create_gen_ai_client_operation_duration
        shim.create_token_histogram = gen_ai_metrics.create_gen_ai_client_token_usage
        sys.modules[shim.__name__] = shim
    from opentelemetry.util.genai.handler import TelemetryHandler

    if not hasattr(TelemetryHandler, "start_inference"):
        TelemetryHandler.start_inference = TelemetryHandler.inference  # type: ignore[attr-defined]


@contextmanager
def _env(**values: str) -> Iterator[None]:
    """Environment variables set while an instrumentation is configured and runs."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_openai_v2(tracer_provider: Any, logger_provider: Any, api_base: str, legacy: bool) -> None:
    """openai-v2 instrumented, the calls made, uninstrumented."""
    _openai_v2_compat()
    import opentelemetry.instrumentation.openai_v2 as openai_v2

    latest = openai_v2.is_experimental_mode
    if legacy:
        openai_v2.is_experimental_mode = lambda: False  # the v1.30 path (module docstring)
    instrumentor = openai_v2.OpenAIInstrumentor()
    try:
        instrumentor.instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
        make_calls(api_base)
    finally:
        instrumentor.uninstrument()
        openai_v2.is_experimental_mode = latest


# ---- children ----------------------------------------------------------------------------


LATEST = {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}
CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


def _openai_v2_legacy(out_dir: Path, api_base: str) -> Path:
    tracer_provider, spans, logger_provider, logs = _providers(1, "conformance-openai-v2")
    with _env(**{CAPTURE: "true"}):
        _run_openai_v2(tracer_provider, logger_provider, api_base, legacy=True)
    return write_otlp_json(
        out_dir / "openai-v2-legacy-events.json",
        list(spans.get_finished_spans()),
        list(logs.get_finished_logs()),
    )


def _openai_v2_protobuf(out_dir: Path, api_base: str) -> Path:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    with CaptureServer() as capture:
        tracer_provider, _, logger_provider, _ = _providers(2, "conformance-openai-v2")
        exporter = OTLPSpanExporter(
            endpoint=f"{capture.url}/v1/traces", compression=Compression.Gzip
        )
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
        with _env(**LATEST, **{CAPTURE: "span_only"}):
            _run_openai_v2(tracer_provider, logger_provider, api_base, legacy=False)
        tracer_provider.force_flush()
        return write_capture(out_dir / "openai-v2-span-only.pb.gz", capture.bodies("/v1/traces"))


def _openai_v2_json(out_dir: Path, api_base: str) -> Path:
    tracer_provider, spans, logger_provider, logs = _providers(3, "conformance-openai-v2")
    with _env(**LATEST, **{CAPTURE: "event_only"}):
        _run_openai_v2(tracer_provider, logger_provider, api_base, legacy=False)
    return write_otlp_json(
        out_dir / "openai-v2-event-only.json",
        list(spans.get_finished_spans()),
        list(logs.get_finished_logs()),
    )


def _openllmetry(out_dir: Path, api_base: str, use_attributes: bool) -> Path:
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    seed = 5 if use_attributes else 6
    tracer_provider, spans, logger_provider, logs = _providers(seed, "conformance-openllmetry")
    instrumentor = OpenAIInstrumentor(use_attributes=use_attributes)
    try:
        with _env(TRACELOOP_TRACE_CONTENT="true"):
            instrumentor.instrument(
                tracer_provider=tracer_provider, logger_provider=logger_provider
            )
            make_calls(api_base)
    finally:
        instrumentor.uninstrument()
    name = "openllmetry-attributes.json" if use_attributes else "openllmetry-events.json"
    return write_otlp_json(
        out_dir / name,
        list(spans.get_finished_spans()),
        None if use_attributes else list(logs.get_finished_logs()),
    )


def _openlit(out_dir: Path, api_base: str) -> Path:
    from opentelemetry import _logs, trace
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    pricing = out_dir / "openlit-pricing.json"
    pricing.write_text(json.dumps(OPENLIT_PRICING))
    with CaptureServer() as capture:
        # OpenLIT reuses providers that are already set (its documented path): these carry the
        # counting ids and export to the capture server.
        resource = Resource.create({"service.name": "conformance-openlit"})
        tracer_provider = TracerProvider(resource=resource, id_generator=counting_ids(4))
        tracer_provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{capture.url}/v1/traces"))
        )
        trace.set_tracer_provider(tracer_provider)
        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{capture.url}/v1/logs"))
        )
        _logs.set_logger_provider(logger_provider)

        import openlit
        from openlit._instrumentors import MODULE_NAME_MAP

        openlit.init(
            application_name="conformance-openlit",
            environment="conformance",
            disable_metrics=True,
            collect_gpu_stats=False,
            pricing_json=str(pricing),
            disabled_instrumentors=[name for name in MODULE_NAME_MAP if name != "openai"],
        )
        make_calls(api_base)
        tracer_provider.force_flush()
        logger_provider.force_flush()
        return write_capture(out_dir / "openlit-traces.pb", capture.bodies("/v1/traces"))


def _openai_v2_modes(out_dir: Path, api_base: str) -> Path:
    """openai-v2 in its three modes, each uninstrumented before the next (its unwrap is clean)."""
    _openai_v2_legacy(out_dir, api_base)
    _openai_v2_protobuf(out_dir, api_base)
    return _openai_v2_json(out_dir, api_base)


def _openllmetry_attributes(out_dir: Path, api_base: str) -> Path:
    return _openllmetry(out_dir, api_base, use_attributes=True)


def _openllmetry_events(out_dir: Path, api_base: str) -> Path:
    return _openllmetry(out_dir, api_base, use_attributes=False)


# Each runs in a process of its own (telemetry.CHILDREN): OpenLLMetry's uninstrument leaves its
# wrappers on `openai` (a second instrumentation in the same process records every call twice)
# and OpenLIT's init is for good.
