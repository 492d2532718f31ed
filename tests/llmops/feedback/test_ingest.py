"""Feedback files into the lake: validation naming file/line/field, quarantine, idempotency,
unknown calls kept, rates in the warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.feedback.ingest import ingest_file, ingest_paths
from llmops.feedback.model import FeedbackError, parse_record
from llmops.lake.warehouse import connect
from tests.builders.feedback import lake_with_calls, write_jsonl

GOOD = [
    {"feedback_id": "f1", "call_id": "call-1", "kind": "thumb_down", "user_id": "u1"},
    {"feedback_id": "f2", "call_id": "call-2", "kind": "thumb_up", "time": "2025-03-02T11:00:00Z"},
    {"feedback_id": "f3", "trace_id": "trace-3", "kind": "rating", "rating": 2},
    {"feedback_id": "f4", "call_id": "call-4", "kind": "correction", "correction": "the answer"},
    {"feedback_id": "f5", "call_id": "nope", "kind": "flag", "comment": "bad"},
]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"call_id": "c", "kind": "thumb_up"}, "field feedback_id: Field required"),
        ({"feedback_id": "x", "kind": "thumb_up"}, "field call_id or trace_id"),
        ({"feedback_id": "x", "call_id": "c", "kind": "meh"}, "field kind: Input should be"),
        ({"feedback_id": "x", "call_id": "c", "kind": "rating"}, "field rating: required"),
        ({"feedback_id": "x", "call_id": "c", "kind": "rating", "rating": 6}, "field rating:"),
        ({"feedback_id": "x", "call_id": "c", "kind": "thumb_up", "rating": 3}, "field rating:"),
        ({"feedback_id": "x", "call_id": "c", "kind": "correction"}, "field correction:"),
        ({"feedback_id": "x", "call_id": "c", "kind": "flag", "raiting": 1}, "field raiting:"),
        ({"feedback_id": "x", "call_id": "c", "kind": "flag", "time": "soon"}, "field time:"),
        ({"feedback_id": "x", "call_id": "c", "kind": "flag", "comment": "y" * 9000}, "comment"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_invalid_records_name_where_and_field(record, message: str) -> None:
    rec, reason = parse_record(record, "f.jsonl:7", 8000)
    assert rec is None and reason.startswith("f.jsonl:7: ") and message in reason


def test_ingest_quarantines_counts_and_is_idempotent(settings, tmp_path: Path) -> None:
    lake_with_calls(settings, tmp_path)
    path = write_jsonl(
        tmp_path / "fb.jsonl",
        [*GOOD[:3], "{not json", {"feedback_id": "bad", "call_id": "c", "kind": "x"}, *GOOD[3:]],
    )
    first = ingest_file(settings, path)
    assert (first.records, first.accepted, first.new, first.quarantined) == (7, 5, 5, 2)
    assert first.unknown_calls == 1  # f5: kept and reported
    assert first.reasons[0].startswith(f"{path}:4: not valid JSON")
    assert first.reasons[1].startswith(f"{path}:5: field kind:")

    again = ingest_file(settings, path)  # same file: same batch replaced
    assert (again.new, again.duplicates) == (0, 5)
    overlap = write_jsonl(
        tmp_path / "more.jsonl",
        [GOOD[0], GOOD[1], {"feedback_id": "f6", "call_id": "call-3", "kind": "thumb_down"}],
    )
    more = ingest_file(settings, overlap)
    assert (more.new, more.duplicates) == (1, 2)

    con = connect(settings.lake_dir)
    try:
        ids = [r[0] for r in con.execute("SELECT feedback_id FROM feedback ORDER BY 1").fetchall()]
        assert ids == ["f1", "f2", "f3", "f4", "f5", "f6"]
        quarantined = con.execute(
            "SELECT source_line, reason, raw FROM feedback_quarantine ORDER BY 1"
        ).fetchall()
        assert [q[0] for q in quarantined] == [4, 5] and quarantined[0][2] == "{not json"
        resolved = dict(
            con.execute("SELECT feedback_id, resolved_call_id FROM feedback_calls").fetchall()
        )
        assert resolved["f3"] == "call-3" and resolved["f5"] is None
        user = con.execute("SELECT user_hash FROM feedback WHERE feedback_id = 'f1'").fetchone()
        call_user = con.execute("SELECT user_hash FROM llm_calls WHERE call_id = 'call-1'")
        assert user[0] == call_user.fetchone()[0]  # same keyed HMAC as the log ingest
        rates = con.execute(
            "SELECT prompt_version, thumbs_up, thumbs_down, thumbs_down_rate, mean_rating, "
            "corrections FROM feedback_rates ORDER BY day"
        ).fetchall()
    finally:
        con.close()
    assert rates == [
        ("v1", 0, 1, 1.0, None, 0),
        ("v1", 1, 0, 0.0, None, 0),
        ("v2", 0, 1, 1.0, 2.0, 0),
        ("v2", 0, 0, None, None, 1),
    ]


def test_csv_and_folder(settings, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "fb.csv").write_text(
        "feedback_id,call_id,kind,rating,comment\n"
        "c1,call-1,rating,4,\n"
        'c2,call-2,thumb_down,,"multi\nline"\n'
        "c3,call-3,rating,,\n"
    )
    (folder / "_skip.jsonl").write_text("{}\n")
    (batch,) = ingest_paths(settings, [folder])
    assert (batch.accepted, batch.quarantined) == (2, 1)
    assert batch.reasons == [
        f"{folder / 'fb.csv'}:5: field rating: required (1-5) for kind 'rating'"
    ]
    (tmp_path / "x.txt").touch()
    with pytest.raises(FeedbackError, match="x.txt: unsupported file type"):
        ingest_paths(settings, [tmp_path / "x.txt"])
