"""The Langfuse SDK (v3+ exports OTLP) writing a trace to a loopback capture server.

`Langfuse(public_key, secret_key, host=<capture server>)` sends OTLP/HTTP protobuf (gzip) with
basic auth to `{host}/api/public/otel/v1/traces`; the body it sends is the artifact. The trace
(one root span, which is not a call) holds three generations:

- `answer`: the Langfuse OpenAI integration (`langfuse.openai.OpenAI`) streaming a chat
  completion from the provider simulator (usage as OpenAI reports it, completion start time set
  by the SDK at the first chunk);
- `rerank`: a generation recorded by hand with Anthropic-style `usage_details` (input exclusive
  of cache read/creation), `cost_details`, input/output and a completion start time;
- `escalate`: a generation that failed (`level="ERROR"`, `status_message`).

`propagate_attributes` adds the user, session, trace name and the prompt (name, version) to all
of them. Span ids come from a counting IdGenerator (seed 7: the generations are spans 2-4).
Runs in a child interpreter of its own (`telemetry.CHILDREN`): the SDK keeps one client (and
its providers) per process, and the OpenAI integration patches `openai` for good.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.builders.telemetry import CaptureServer, artifact

PUBLIC_KEY = "pk-lf-conformance"
SECRET_KEY = "sk-lf-conformance"
RERANK_USAGE = {
    "input": 1200,
    "output": 80,
    "cache_read_input_tokens": 3000,
    "cache_creation_input_tokens": 400,
}
RERANK_COST = {
    "input": 0.00096,
    "output": 0.00032,
    "cache_read_input_tokens": 0.00024,
    "total": 0.00152,
}


def langfuse_otlp(out_dir: Path, api_base: str) -> Path:
    """The OTLP body the Langfuse SDK sends (see the module docstring)."""
    return artifact("langfuse-otlp.pb.gz", out_dir, api_base)


def _langfuse(out_dir: Path, api_base: str) -> Path:
    import os

    from tests.builders.telemetry.otel_sdks import MESSAGES, MODEL, counting_ids, write_capture

    with CaptureServer() as capture:
        os.environ.update(
            LANGFUSE_PUBLIC_KEY=PUBLIC_KEY,
            LANGFUSE_SECRET_KEY=SECRET_KEY,
            LANGFUSE_HOST=capture.url,
        )
        from langfuse import Langfuse, propagate_attributes

        langfuse = Langfuse(
            public_key=PUBLIC_KEY,
            secret_key=SECRET_KEY,
            host=capture.url,
            environment="conformance",
            id_generator=counting_ids(7),
            flush_at=512,
            flush_interval=60,
        )
        from langfuse.openai import OpenAI

        with (
            langfuse.start_as_current_observation(name="support-turn", as_type="span"),
            propagate_attributes(
                user_id="user-42",
                session_id="session-7",
                trace_name="support-chat",
                prompt={"name": "support-answer", "version": 3},
            ),
        ):
            client = OpenAI(base_url=api_base, api_key="sk-conformance", max_retries=0)
            stream = client.chat.completions.create(
                name="answer",
                model=MODEL,
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
            )
            for _ in stream:
                pass
            with langfuse.start_as_current_observation(
                name="rerank",
                as_type="generation",
                model="claude-3-5-haiku-20241022",
                input=[
                    {"role": "system", "content": "Rank the passages for the question."},
                    {"role": "user", "content": "Which passage says where calls are stored?"},
                ],
            ) as rerank:
                rerank.update(
                    output={"role": "assistant", "content": "Passage 2 answers it."},
                    usage_details=RERANK_USAGE,
                    cost_details=RERANK_COST,
                    completion_start_time=datetime.now(UTC) + timedelta(milliseconds=1),
                )
            with langfuse.start_as_current_observation(
                name="escalate",
                as_type="generation",
                model="gpt-4o",
                input=[{"role": "user", "content": "Escalate this ticket to a human."}],
            ) as escalate:
                escalate.update(level="ERROR", status_message="RateLimitError: slow down")
        langfuse.flush()
        return write_capture(
            out_dir / "langfuse-otlp.pb.gz", capture.bodies("/api/public/otel/v1/traces")
        )
