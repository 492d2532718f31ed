"""A webhook receiver process whose emit logs each event to a file and can die by SIGKILL.

`python -m tests.builders.crashing_webhook PORT` with EVENT_LOG (a JSONL file), and KILL_BEFORE /
KILL_AFTER: comma-separated numbers of this process's emissions before / after which it kills
itself (after: the event is logged but the store has not recorded it as emitted).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path


def _points(name: str) -> set[int]:
    return {int(x) for x in os.environ.get(name, "").split(",") if x}


def main() -> None:
    """Serve on the given loopback port until killed."""
    from llmops.core.settings import get_settings
    from llmops.webhook.server import serve

    log = Path(os.environ["EVENT_LOG"])
    before, after = _points("KILL_BEFORE"), _points("KILL_AFTER")
    count = 0

    def emit(event) -> None:
        nonlocal count
        count += 1
        if count in before:
            os.kill(os.getpid(), signal.SIGKILL)
        with log.open("a") as f:
            f.write(json.dumps({"event_id": str(event.event_id), "path": event.path}) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if count in after:
            os.kill(os.getpid(), signal.SIGKILL)

    serve(get_settings(), emit, port=int(sys.argv[1]))


if __name__ == "__main__":
    main()
