"""Producers' SDKs run for real, offline, to write the conformance suite's artifacts.

Each generator is `fn(out_dir, api_base) -> Path` (see tests/builders/conformance.py). SDKs that
set process-wide state (global tracer/logger providers, instrumentors that patch `openai`,
OpenLIT's one-time init, semconv opt-in read once per process) run in processes of their own
(`artifact` -> `run_children`), so nothing leaks into the test process or between SDKs; SDKs
that export over HTTP send to a loopback `CaptureServer`, whose recorded request body is the
artifact.

This module uses the standard library only: other telemetry builders import the package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Captured:
    """One request the capture server received."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class CaptureServer:
    """A loopback HTTP server that answers every POST with 200 and keeps what it got."""

    requests: list[Captured] = field(default_factory=list)

    def __enter__(self) -> CaptureServer:
        captured = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                captured.append(Captured(self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT (no path)."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def bodies(self, suffix: str) -> list[Captured]:
        """The requests whose path ends with `suffix` (e.g. `/v1/traces`)."""
        return [r for r in self.requests if r.path.endswith(suffix)]

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# Variables an SDK could pick up from the environment of whoever runs the tests.
_CLEARED_PREFIXES = ("OTEL_", "LANGFUSE_", "TRACELOOP_", "OPENLIT_", "OPENAI_")


def _child_env(env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED_PREFIXES)}
    base.update(
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    base.update(env)
    return base


# Imported once before the children fork (the bulk of a child's time is `import openai`);
# nothing here instruments or configures anything.
PRELOAD = (
    "openai",
    "openai.resources",  # imported lazily by `openai`, by every instrumentation when it wraps
    "google.protobuf.json_format",
    "opentelemetry.sdk.trace",
    "opentelemetry.sdk._logs",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http._log_exporter",
)


def run_children(
    children: list[tuple[str, str]],
    out_dir: Path,
    api_base: str,
    env: dict[str, str] | None = None,
) -> None:
    """Run each `module.func(out_dir, api_base)` in a process of its own, all at once.

    One fresh interpreter (environment: this one without OpenTelemetry/SDK variables, plus
    offline defaults and no proxy for loopback, plus `env`) imports `PRELOAD`, then forks one
    process per child, so no SDK state is shared between children or with the test process.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys; from tests.builders.telemetry import fork_children; "
        "fork_children(sys.argv[1], sys.argv[2], sys.argv[3:])"
    )
    names = [f"{module}:{func}" for module, func in children]
    proc = subprocess.run(
        [sys.executable, "-c", code, str(out_dir), api_base, *names],
        cwd=REPO,
        env=_child_env(env or {}),
        capture_output=True,
        text=True,
        timeout=180,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"telemetry children failed:\n{proc.stdout}\n{proc.stderr}")


def fork_children(out_dir: str, api_base: str, names: list[str]) -> None:
    """In the children's interpreter: preload, fork one process per `module:func`, wait."""
    import importlib
    import traceback

    for module in PRELOAD:
        importlib.import_module(module)
    pids: dict[int, str] = {}
    for name in names:
        module, func = name.split(":")
        fn = getattr(importlib.import_module(module), func)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: run one producer, never return into the loop
            status = 1
            try:
                fn(Path(out_dir), api_base)
                status = 0
            except BaseException:  # noqa: BLE001 (reported to the parent through stderr)
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        pids[pid] = name
    failed = [name for pid, name in pids.items() if os.waitpid(pid, 0)[1] != 0]
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


# Every child that writes artifacts (module, function): they run side by side, once per
# simulator, the first time any of their artifacts is asked for (interpreter start and
# `import openai` cost more than the calls; see the modules for why each is a child of its own).
CHILDREN = [
    ("tests.builders.telemetry.otel_sdks", "_openai_v2_modes"),
    ("tests.builders.telemetry.otel_sdks", "_openlit"),
    ("tests.builders.telemetry.otel_sdks", "_openllmetry_attributes"),
    ("tests.builders.telemetry.otel_sdks", "_openllmetry_events"),
    ("tests.builders.telemetry.langfuse_sdk", "_langfuse"),
]
_RUNS: dict[str, Path] = {}  # api_base -> folder holding the artifacts of one run


def artifact(name: str, out_dir: Path, api_base: str) -> Path:
    """The artifact `name` written by the children for this simulator, copied to `out_dir`."""
    import atexit
    import shutil
    import tempfile

    if api_base not in _RUNS:
        folder = Path(tempfile.mkdtemp(prefix="llmops-telemetry-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        run_children(CHILDREN, folder, api_base)
        _RUNS[api_base] = folder
    out_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(_RUNS[api_base] / name, out_dir / name))
