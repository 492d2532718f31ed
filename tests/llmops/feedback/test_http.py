"""POST /feedback over real HTTP (uvicorn in a thread): auth, bad bodies, valid feedback stored."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from llmops.lake.warehouse import connect
from tests.builders.feedback import lake_with_calls

TOKEN = "s3cret-token"


@pytest.fixture
def server(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The feedback routes in a minimal Starlette app on a loopback port."""
    import uvicorn
    from starlette.applications import Starlette

    from llmops.core.settings import get_settings
    from llmops.feedback.http import feedback_routes

    monkeypatch.setenv("LLMOPS_FEEDBACK__TOKEN", TOKEN)
    monkeypatch.setenv("LLMOPS_FEEDBACK__MAX_BODY_BYTES", "4000")
    monkeypatch.setenv("LLMOPS_FEEDBACK__MAX_RECORDS", "5")
    settings = get_settings()
    lake_with_calls(settings, tmp_path)
    app = Starlette(routes=feedback_routes(settings))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/feedback"
    srv.should_exit = True
    thread.join(timeout=5)
    sock.close()


def post(url: str, body, token: str | None = TOKEN, **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if isinstance(body, str | bytes):
        return httpx.post(url, content=body, headers=headers, **kw)
    return httpx.post(url, json=body, headers=headers, **kw)


FB = {"feedback_id": "h1", "call_id": "call-1", "kind": "thumb_down", "comment": "no"}


def test_auth_and_bad_bodies_are_refused(server: str, settings) -> None:
    assert post(server, FB, token=None).status_code == 401
    wrong = post(server, FB, token="s3cret-tokeN")
    assert wrong.status_code == 401 and "bearer token" in wrong.json()["error"]
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    basic = httpx.post(server, json=FB, headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401

    bad_json = post(server, '{"feedback_id": "h1",')
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]
    assert post(server, "42").status_code == 400
    assert post(server, []).status_code == 400

    invalid = post(server, [FB, {"feedback_id": "h2", "call_id": "call-2", "kind": "rating"}])
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == ["body[1]: field rating: required (1-5) for kind 'rating'"]
    missing = post(server, {"call_id": "call-2", "kind": "thumb_up"})
    assert missing.json()["errors"] == ["body: field feedback_id: Field required"]

    assert post(server, {**FB, "comment": "x" * 5000}).status_code == 413
    assert post(server, [dict(FB, feedback_id=f"m{i}") for i in range(6)]).status_code == 413
    con = connect(settings.lake_dir)
    try:  # nothing refused was stored
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0
    finally:
        con.close()


def test_valid_feedback_is_stored_once(server: str, settings) -> None:
    batch = [FB, {"feedback_id": "h2", "trace_id": "trace-2", "kind": "rating", "rating": 5}]
    created = post(server, batch)
    assert created.status_code == 201
    assert created.json() | {"batch_id": None} == {
        "batch_id": None,
        "accepted": 2,
        "new": 2,
        "duplicates": 0,
        "unknown_calls": 0,
    }
    again = post(server, FB)
    assert again.status_code == 200 and (again.json()["new"], again.json()["duplicates"]) == (0, 1)
    unknown = post(server, {"feedback_id": "h3", "call_id": "gone", "kind": "flag"})
    assert unknown.status_code == 201 and unknown.json()["unknown_calls"] == 1
    con = connect(settings.lake_dir)
    try:
        rows = con.execute(
            "SELECT feedback_id, source_file, comment FROM feedback ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        ("h1", "http:POST /feedback", "no"),
        ("h2", "http:POST /feedback", None),
        ("h3", "http:POST /feedback", None),
    ]
