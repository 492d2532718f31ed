"""Benchmark: the live collector's sustained OTLP/HTTP spans/s with durability, against the floor.

`llmops collector serve` runs as its own process on a free loopback port (temporary
LLMOPS_HOME; rotation by time and by size pushed out of the run, so no rotation happens while
measuring). C keep-alive clients (threads, one `http.client.HTTPConnection` each, bodies built
before the clock starts for each request) POST genuine OTLP protobuf export requests to
/v1/traces for ~D seconds per batch size; only 200 answers count. The floor, in the same run:
the same request bodies, the same count, written with the same durability
(`llmops.collector.spool.write_durably`: temp file, write, fsync, rename, fsync of the folder)
into a folder on the same file system, by a bare sequential loop and by C such loops at once
(the same number of writers as the collector had clients: ext4 commits concurrent fsyncs
together). Each row runs in `--rounds` rounds, each followed by its floor, so drift in the
machine hits both alike; the collector's spool is emptied after each round (its background
loop lists the spool every tick, see bench/README.md).

Payloads are OpenTelemetry SDK spans (a real `TracerProvider`, in-memory exporter) carrying
what the openai-v2 instrumentation records for a chat call with content capture on
(`gen_ai.*` attributes; input/output messages serialised by opentelemetry-util-genai's own
`get_content_attributes`), encoded by the SDK's OTLP encoder (`encode_spans`). Two sets:
"simulator" (the traffic simulator's short synthetic texts) and "real text" (the ARES
Databricks-docs RAG questions, documents and answers of datasets/docs-qa/items.jsonl). Every
request gets fresh trace ids, span ids and response ids (patched into the encoded bytes).

    uv run --frozen python bench/collector.py [--sizes 1,10,100,1000] [--clients 4]
        [--seconds 5] [--rounds 3] [--quick] [--sets simulator,real] [--profile]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL_TEXT = ROOT / "datasets" / "docs-qa" / "items.jsonl"
REAL_SOURCE = "datasets/public/ares/ares-human-annotations.tsv (ARES, Apache-2.0)"
TOKEN = "bench-token"
FAR = 10**12  # bytes: rotation by size (and the spool-full 503) pushed out of the run
PROFILE_BOOT = """
import cProfile, signal, sys, threading
# uvicorn re-raises the SIGTERM it handled once its handlers are restored: make that a no-op
# here so the profile is written
signal.signal(signal.SIGTERM, lambda *a: None)
out, args = sys.argv[1], sys.argv[2:]
profs = []
def hook(frame, event, arg):
    sys.setprofile(None)
    p = cProfile.Profile()
    profs.append(p)
    p.enable()
threading.setprofile(hook)
main_p = cProfile.Profile()
profs.append(main_p)
main_p.enable()
sys.argv = ["llmops", *args]
try:
    from llmops.cli.main import main
    main()
except SystemExit:
    pass
finally:
    import pstats
    for p in profs:
        p.disable()
    pstats.Stats(*profs).dump_stats(out)
"""


# ---- payloads -----------------------------------------------------------------------------


def simulator_texts(n: int) -> list[tuple[str, str, str]]:
    """(system, user, assistant) from the traffic simulator's text banks."""
    import numpy as np

    from llmops.simulators.traffic.text import SYSTEM_PROMPTS, docs_text, support_text

    rng = np.random.default_rng(15)
    support = SYSTEM_PROMPTS[("support-answer", "v4")]
    docs = SYSTEM_PROMPTS[("docs-qa", "v2")]
    out = []
    for i in range(n):
        if i % 2:
            q, a = support_text(rng)
            out.append((support, q, a))
        else:
            q, a = docs_text(rng)
            out.append((docs, q, a))
    return out


def real_texts(n: int) -> list[tuple[str, str, str]]:
    """(system, user, assistant): a RAG call per docs-qa item (document + question, answer)."""
    from llmops.simulators.traffic.text import SYSTEM_PROMPTS

    system = SYSTEM_PROMPTS[("docs-qa", "v1")]
    rows = [json.loads(line) for line in REAL_TEXT.read_text().splitlines() if line.strip()]
    calls = []
    for r in rows:
        answer = r.get("reference_answer") or r.get("metadata", {}).get("answer") or ""
        context = "\n\n".join(r["contexts"])
        calls.append((system, f"Context:\n{context}\n\nQuestion: {r['question']}", answer))
    return [calls[i % len(calls)] for i in range(n)]


def make_spans(texts: list[tuple[str, str, str]]) -> list:
    """Finished SDK spans of chat calls, as openai-v2 (latest semconv, span_only) records them."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind
    from opentelemetry.util.genai._invocation import get_content_attributes
    from opentelemetry.util.genai.types import (
        ContentCapturingMode,
        InputMessage,
        OutputMessage,
        Text,
    )

    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": "docs-assistant", "deployment.environment": "prod"}
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("opentelemetry.instrumentation.openai_v2", "2.4b0")
    models = [("gpt-4o-mini", "gpt-4o-mini-2024-07-18"), ("gpt-4o", "gpt-4o-2024-08-06")]
    t0 = time.time_ns() - 3600 * 10**9
    for i, (system, user, answer) in enumerate(texts):
        model, served = models[i % 7 == 0]
        content = get_content_attributes(
            input_messages=[
                InputMessage(role="system", parts=[Text(content=system)]),
                InputMessage(role="user", parts=[Text(content=user)]),
            ],
            output_messages=[
                OutputMessage(role="assistant", parts=[Text(content=answer)], finish_reason="stop")
            ],
            system_instruction=[],
            tool_definitions=None,
            for_span=True,
            content_capturing_mode=ContentCapturingMode.SPAN_ONLY,
        )
        start = t0 + i * 250_000_000
        span = tracer.start_span(
            f"chat {model}",
            kind=SpanKind.CLIENT,
            start_time=start,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": model,
                "gen_ai.request.temperature": 0.2,
                "server.address": "api.openai.com",
                "server.port": 443,
            },
        )
        span.set_attributes(
            {
                "gen_ai.response.model": served,
                # a placeholder of the final length, unique: patched per request
                "gen_ai.response.id": f"chatcmpl-{i:029d}",
                "gen_ai.response.finish_reasons": ("stop",),
                "gen_ai.usage.input_tokens": (len(system) + len(user)) // 4 + 7,
                "gen_ai.usage.output_tokens": len(answer) // 4 + 1,
                "openai.response.service_tier": "default",
                "openai.response.system_fingerprint": "fp_44709d6fcb",
                **content,
            }
        )
        span.end(end_time=start + 400_000_000 + (len(answer) % 97) * 20_000_000)
    spans = exporter.get_finished_spans()
    provider.shutdown()
    return list(spans)


@dataclass
class Template:
    """One encoded export request and where each span's ids sit in its bytes."""

    body: bytes
    spans: int
    # (trace id offset, span id offset, response id offset) per span
    offsets: list[tuple[int, int, int]]


def _find_once(body: bytes, needle: bytes) -> int:
    at = body.find(needle)
    if at < 0 or body.find(needle, at + 1) >= 0:
        raise RuntimeError("an id is not exactly once in the encoded body")
    return at


def make_templates(spans: list, size: int, count: int) -> list[Template]:
    """`count` requests of `size` spans (different spans each while the pool lasts)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    out = []
    windows = max(1, min(count, len(spans) // size))
    for w in range(windows):
        group = spans[w * size : (w + 1) * size]
        body = encode_spans(group).SerializeToString()
        offsets = []
        for s in group:
            ctx = s.get_span_context()
            offsets.append(
                (
                    _find_once(body, ctx.trace_id.to_bytes(16, "big")),
                    _find_once(body, ctx.span_id.to_bytes(8, "big")),
                    _find_once(body, s.attributes["gen_ai.response.id"].encode()) + 9,
                )
            )
        out.append(Template(body, len(group), offsets))
    return out


NONCE = secrets.randbits(32)


def build(t: Template, seq0: int) -> bytes:
    """The template's bytes with fresh ids: span k gets number seq0 + k."""
    buf = bytearray(t.body)
    for k, (ti, si, ri) in enumerate(t.offsets):
        n = seq0 + k
        struct.pack_into(">IIQ", buf, ti, NONCE, 0x15, n)
        struct.pack_into(">Q", buf, si, (NONCE << 32) | n)
        buf[ri : ri + 29] = b"%029x" % ((NONCE << 64) | n)
    return bytes(buf)


# ---- the collector process ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`llmops collector serve` in its own process."""

    def __init__(self, home: Path, profile: Path | None = None) -> None:
        self.port = free_port()
        self.home = home
        env = dict(os.environ)
        env |= {
            "LLMOPS_HOME": str(home),
            "LLMOPS_COLLECTOR__TOKEN": TOKEN,
            "LLMOPS_COLLECTOR__ROTATE_SECONDS": "3600",
            "LLMOPS_COLLECTOR__ROTATE_BYTES": str(FAR),
            "LLMOPS_COLLECTOR__MAX_SPOOL_BYTES": str(FAR),
        }
        args = ["collector", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        args.append("--no-events")
        if profile is not None:
            cmd = [sys.executable, "-c", PROFILE_BOOT, str(profile), *args]
        else:
            cmd = [sys.executable, "-m", "llmops.cli", *args]
        self.log = open(home / "serve.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"collector exited: {(self.home / 'serve.log').read_text()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("collector did not answer /health")

    def cpu_s(self) -> float:
        """utime + stime of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def spool(self) -> Path:
        return self.home / "collector" / "spool" / "otlp-protobuf"

    def clear_spool(self) -> None:
        for p in self.spool().iterdir():
            p.unlink()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ---- measurement --------------------------------------------------------------------------


@dataclass
class Result:
    payloads: str
    size: int
    requests: int = 0
    spans: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    sent: list[tuple[int, int]] = field(default_factory=list)  # (template, seq0) of each 200
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    body_bytes: float = 0.0
    floor_seconds: float = 0.0
    floor_par_seconds: float = 0.0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")

    @property
    def rate(self) -> float:
        return self.spans / self.seconds if self.seconds else 0.0

    @property
    def floor_rate(self) -> float:
        return self.spans / self.floor_seconds if self.floor_seconds else 0.0

    @property
    def floor_par_rate(self) -> float:
        return self.spans / self.floor_par_seconds if self.floor_par_seconds else 0.0


SEQ = itertools.count(1)
_seq_lock = threading.Lock()


def next_seq(n: int) -> int:
    with _seq_lock:
        start = next(SEQ)
        for _ in range(n - 1):
            next(SEQ)
    return start


def client(port, templates, seconds, out: Result, lock, ready, start_evt, warm: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {TOKEN}"}
    lat, sent, errors, spans, i = [], [], 0, 0, secrets.randbelow(len(templates))

    def post(body: bytes) -> int:
        nonlocal conn
        try:
            conn.request("POST", "/v1/traces", body, headers)
            r = conn.getresponse()
            r.read()
            return r.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            return 0

    for _ in range(warm):  # connection and code paths warm, not counted
        t = templates[i % len(templates)]
        post(build(t, next_seq(t.spans)))
        i += 1
    ready.wait()
    start_evt.wait()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        ti = i % len(templates)
        t = templates[ti]
        seq0 = next_seq(t.spans)
        body = build(t, seq0)
        t0 = time.perf_counter()
        status = post(body)
        lat.append(time.perf_counter() - t0)
        i += 1
        if status == 200:
            spans += t.spans
            sent.append((ti, seq0))
        else:
            errors += 1
    conn.close()
    with lock:
        out.latencies += lat
        out.sent += sent
        out.errors += errors
        out.spans += spans
        out.requests += len(lat)


def measure(server: Server, out: Result, templates, clients: int, seconds: float, warm: int):
    """One round of `seconds`: adds to `out`; the (template, seq0) of this round's 200s."""
    sent_before = len(out.sent)
    lock, start_evt = threading.Lock(), threading.Event()
    ready = threading.Barrier(clients + 1)
    threads = [
        threading.Thread(
            target=client,
            args=(server.port, templates, seconds, out, lock, ready, start_evt, warm),
        )
        for _ in range(clients)
    ]
    for th in threads:
        th.start()
    ready.wait()  # every client's warm-up requests answered (not counted)
    cpu0, ru0 = server.cpu_s(), resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    start_evt.set()
    for th in threads:
        th.join()
    out.seconds += time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    out.server_cpu += server.cpu_s() - cpu0
    out.client_cpu += ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    out.body_bytes = sum(len(t.body) for t in templates) / len(templates)
    return out.sent[sent_before:]


def _write_all(folder: Path, jobs: list[tuple[str, bytes]]) -> None:
    from llmops.collector.spool import write_durably

    for name, body in jobs:
        write_durably(folder / name, body, f".tmp-{name}")


def floor(res: Result, sent, templates, folder: Path, threads: int) -> None:
    """The same bodies, as many, with write_durably: a bare sequential loop, then `threads`
    loops at once (as many writers as the collector had clients); bodies built beforehand."""
    jobs = [
        (f"{n:012d}-{templates[ti].spans}.part", build(templates[ti], seq0))
        for n, (ti, seq0) in enumerate(sent)
    ]
    for label in ("floor_seconds", "floor_par_seconds"):
        folder.mkdir(parents=True, exist_ok=True)
        os.sync()
        n = 1 if label == "floor_seconds" else threads
        workers = [threading.Thread(target=_write_all, args=(folder, jobs[i::n])) for i in range(n)]
        t0 = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        setattr(res, label, getattr(res, label) + time.perf_counter() - t0)
        shutil.rmtree(folder)
    os.sync()


# ---- report -------------------------------------------------------------------------------


def top_profile(path: Path, n: int = 25) -> None:
    import pstats

    print(f"\nserver profile (cProfile, all threads, incl. time), {path}:")
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(n)
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100,1000", help="spans per request")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients")
    parser.add_argument("--seconds", type=float, default=5.0, help="per batch size and set")
    parser.add_argument("--quick", action="store_true", help="2 s per measurement")
    parser.add_argument("--sets", default="simulator,real", help="payload sets")
    parser.add_argument("--rounds", type=int, default=3, help="llmops/floor alternations per row")
    parser.add_argument("--profile", action="store_true", help="cProfile the server (slower)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    args = parser.parse_args()
    seconds = 2.0 if args.quick else args.seconds
    sizes = [int(s) for s in args.sizes.split(",")]
    sets = [s.strip() for s in args.sets.split(",")]

    from llmops.core.offline import apply_offline_defaults

    apply_offline_defaults()
    work = Path(tempfile.mkdtemp(prefix="llmops-bench-collector-"))
    pool = max(2 * max(sizes), 256)
    print(f"building {pool:,} SDK spans per payload set ...", file=sys.stderr, flush=True)
    sources = {"simulator": simulator_texts, "real": real_texts}
    payloads = {}
    for name in sets:
        spans = make_spans(sources[name](pool))
        payloads[name] = {s: make_templates(spans, s, 64) for s in sizes}
    profile = work / "server.prof" if args.profile else None
    (work / "home").mkdir()
    server = Server(work / "home", profile)
    results: list[Result] = []
    try:
        for name in sets:
            for size in sizes:
                print(f"{name}, batch {size}: {seconds:g} s ...", file=sys.stderr, flush=True)
                templates = payloads[name][size]
                r = Result(name, size)
                for k in range(args.rounds):  # interleaved: drift hits both alike
                    os.sync()
                    sent = measure(
                        server,
                        r,
                        templates,
                        args.clients,
                        seconds / args.rounds,
                        2 if k == 0 else 0,
                    )
                    server.clear_spool()
                    floor(r, sent, templates, work / "floor", args.clients)
                results.append(r)
    finally:
        server.stop()
    print_table(results, args.clients, seconds, sizes, args.rounds)
    if profile is not None and profile.exists():
        top_profile(profile)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def print_table(
    results: list[Result], clients: int, seconds: float, sizes: list[int], rounds: int
) -> None:
    print()
    print(
        f"collector: `llmops collector serve` (own process, uvicorn), OTLP/HTTP protobuf to "
        f"/v1/traces from {clients} keep-alive client threads in one process (http.client, "
        f"bodies built before each request's clock starts), {seconds:g} s per row in {rounds} "
        f"rounds, each followed by its floor; rotation "
        f"off during the run (ROTATE_SECONDS=3600, ROTATE_BYTES and MAX_SPOOL_BYTES 1e12), "
        f"spool emptied after each round; {os.cpu_count()} cores"
    )
    print(
        f"payload sets: simulator = llmops.simulators.traffic.text; real = "
        f"{REAL_TEXT.relative_to(ROOT)} (from {REAL_SOURCE})"
    )
    print(
        "floor: the same bodies, as many, by write_durably (temp file, write, fsync, rename, "
        f"fsync dir): 1 = a bare sequential loop, {clients} = {clients} such loops at once"
    )
    print()
    print(
        f"{'payloads':<10}{'batch':>6}{'KB/req':>8}{'reqs':>7}{'err':>5}{'spans/s':>9}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'srv CPU':>8}{'cli CPU':>8}"
        f"{'floor 1':>9}{'x':>6}{f'floor {clients}':>9}{'x':>6}"
    )
    for r in results:
        x1 = r.floor_rate / r.rate if r.rate else float("inf")
        xc = r.floor_par_rate / r.rate if r.rate else float("inf")
        print(
            f"{r.payloads:<10}{r.size:>6}{r.body_bytes / 1024:>8,.1f}{r.requests:>7,}"
            f"{r.errors:>5,}{r.rate:>9,.0f}{r.pct(0.5):>8.1f}{r.pct(0.99):>8.1f}"
            f"{r.server_cpu / r.seconds:>8.0%}{r.client_cpu / r.seconds:>8.0%}"
            f"{r.floor_rate:>9,.0f}{x1:>6.2f}{r.floor_par_rate:>9,.0f}{xc:>6.2f}"
        )
    print(
        "  spans/s and floors in spans/s; x = floor / llmops (> 1: llmops slower than that floor);"
        " CPU: share of one core over the row (200% = both cores)"
    )
    print("goal: >= 5,000 spans/s at batch 100 and <= 2x the floor (the bare loop; and the")
    print(f"      stricter {clients}-writer floor)")
    for r in results:
        if r.size != 100:
            continue
        x1 = r.floor_rate / r.rate if r.rate else float("inf")
        xc = r.floor_par_rate / r.rate if r.rate else float("inf")
        fast = r.rate >= 5000 and r.errors == 0
        print(
            f"  {r.payloads}: {'PASS' if fast and x1 <= 2 else 'FAIL'} against the bare loop "
            f"({r.rate:,.0f} spans/s, {x1:.2f}x, {r.errors} errors); "
            f"{'PASS' if fast and xc <= 2 else 'FAIL'} against {clients} writers ({xc:.2f}x)"
        )
    if 100 not in sizes:
        print("  (batch 100 not measured)")


if __name__ == "__main__":
    main()
