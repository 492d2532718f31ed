"""Run the collector with uvicorn: foreground (`llmops collector serve`) or a thread (tests)."""

from __future__ import annotations

from collections.abc import Callable

from llmops.collector.service import Collector, Notify
from llmops.core.settings import Settings


def _server(collector: Collector, **kw):
    import uvicorn

    from llmops.collector.app import create_app

    config = uvicorn.Config(
        create_app(collector),
        lifespan="off",
        timeout_graceful_shutdown=5,
        access_log=False,
        backlog=4096,
        **kw,
    )
    return uvicorn.Server(config)


# Spool writes run in worker threads that give up the GIL for every syscall (write, fsync,
# rename) and wait to get it back while the event loop parses the next requests; with Python's
# default 5 ms switch interval that wait dominated a request (feedback at 8 concurrent clients:
# 284 -> 463 requests/s at 1 ms, measured on the 2-core machine with other work running).
SWITCH_INTERVAL_S = 0.001


def serve(settings: Settings, notify: Notify | None, host: str = "127.0.0.1", port: int = 4318):
    """Serve until interrupted (Ctrl-C); the spool is rotated in the background."""
    import signal
    import sys

    sys.setswitchinterval(SWITCH_INTERVAL_S)  # this process serves the collector only
    # uvicorn re-raises the SIGTERM it shut down for once it has restored the previous handler
    # (uvicorn/server.py capture_signals): without one of ours that kills the process before
    # the rotation loop stops and the counters are saved.
    signal.signal(signal.SIGTERM, lambda *_: None)
    collector = Collector(settings, notify)
    collector.start()
    try:
        _server(collector, host=host, port=port, log_level="info").run()
    finally:
        collector.stop()


def run_in_thread(
    settings: Settings,
    notify: Notify | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
) -> tuple[str, Collector, Callable[[], None]]:
    """Start on a loopback port in a daemon thread: (base_url, collector, stop)."""
    from llmops.services.server_thread import run_server_in_thread

    collector = Collector(settings, notify)
    collector.start()
    base_url, stop_server = run_server_in_thread(
        lambda p: _server(collector, host=host, port=p, log_level="warning"),
        "collector",
        port=port,
        host=host,
    )

    def stop() -> None:
        stop_server()
        collector.stop()

    return base_url, collector, stop
