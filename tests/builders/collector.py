"""The collector for tests: in a thread of the test process (`collector` fixture) or as its own
process that can be SIGKILLed and restarted (`CollectorProcess`); OTLP payloads built with the
OpenTelemetry SDK's own encoder; rotate + ingest + read back from the lake."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

TOKEN = "collector-test-token"
PUBLIC_KEY = "pk-lf-llmops-test"
SECRET_KEY = "sk-lf-llmops-test"
FEEDBACK_TOKEN = "feedback-test-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
REPO = Path(__file__).resolve().parents[2]


def credentials_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The collector's credentials (and the feedback token) in the environment."""
    monkeypatch.setenv("LLMOPS_COLLECTOR__TOKEN", TOKEN)
    monkeypatch.setenv("LLMOPS_COLLECTOR__LANGFUSE_PUBLIC_KEY", PUBLIC_KEY)
    monkeypatch.setenv("LLMOPS_COLLECTOR__LANGFUSE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("LLMOPS_FEEDBACK__TOKEN", FEEDBACK_TOKEN)


@dataclass
class Running:
    """A collector serving in this process."""

    url: str
    collector: object  # llmops.collector.service.Collector
    settings: object


@pytest.fixture
def collector(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    """A collector on a loopback port over the test's home (credentials from `credentials_env`)."""
    from llmops.collector.server import run_in_thread
    from llmops.core.settings import get_settings

    credentials_env(monkeypatch)
    settings = get_settings()
    url, running, stop = run_in_thread(settings)
    try:
        yield Running(url, running, settings)
    finally:
        stop()


def spooled_files(home: Path) -> list[Path]:
    """Every payload in the spool (not rotated yet)."""
    return sorted((home / "collector" / "spool").rglob("*.part"))


def rotate_and_ingest(settings) -> list:
    """Force a rotation of the spool, then ingest the drop folder (what the rollup does)."""
    from llmops.collector.service import Collector
    from llmops.ingest import ingest_paths

    collector = Collector(settings)
    collector.recover()
    collector.rotate(force=True)
    inbox = settings.inbox_dir
    return ingest_paths([inbox], settings) if inbox.exists() else []


def lake_rows(settings, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query over the lake's views."""
    from llmops.lake.warehouse import connect

    con = connect(settings.lake_dir)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def chat_spans(n: int, start: int = 0, model: str = "gpt-4o-mini", text: str = "hello") -> bytes:
    """An ExportTraceServiceRequest (protobuf) of `n` GenAI chat spans, encoded by the SDK.

    Span ids are start+1 .. start+n (trace id = span id): unique per call, so a test can count
    exactly which calls arrived.
    """
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    return encode_spans(_spans(n, start, model, text)).SerializeToString()


def _spans(n: int, start: int, model: str, text: str) -> list:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

    resource = Resource.create({"service.name": "collector-test"})
    base = 1_780_000_000_000_000_000
    out = []
    for i in range(start + 1, start + n + 1):
        ctx = SpanContext(trace_id=i, span_id=i, is_remote=False, trace_flags=TraceFlags(1))
        out.append(
            ReadableSpan(
                name=f"chat {model}",
                context=ctx,
                kind=SpanKind.CLIENT,
                resource=resource,
                start_time=base + i * 1_000_000,
                end_time=base + i * 1_000_000 + 250_000_000,
                attributes={
                    "gen_ai.operation.name": "chat",
                    "gen_ai.system": "openai",
                    "gen_ai.request.model": model,
                    "gen_ai.response.model": model,
                    "gen_ai.usage.input_tokens": 12,
                    "gen_ai.usage.output_tokens": 7,
                    "gen_ai.input.messages": f'[{{"role": "user", "parts": [{{"type": "text", "content": "{text} {i}"}}]}}]',
                },
            )
        )
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CollectorProcess:
    """`llmops collector serve` in a process of its own over `home` (start, kill -9, restart)."""

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "LLMOPS_HOME": str(home),
            "LLMOPS_COLLECTOR__TOKEN": TOKEN,
            "LLMOPS_FEEDBACK__TOKEN": FEEDBACK_TOKEN,
            "LLMOPS_USER_HASH_KEY": "test-key",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.log = home.parent / f"collector-{self.port}.log"

    def start(self, timeout: float = 30.0) -> CollectorProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        code = "from llmops.cli.main import main; main()"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    code,
                    "collector",
                    "serve",
                    "--port",
                    str(self.port),
                    "--no-events",
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"collector exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"collector did not start: {self.log.read_text()[-2000:]}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (from /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
