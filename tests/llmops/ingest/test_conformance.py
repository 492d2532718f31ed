"""Conformance: genuine producer artifacts ingest to the values their sources carry.

Artifacts and their provenance are listed in tests/data/conformance/<format>/manifest.yaml (see
tests/builders/conformance.py). Public-repository artifacts are checked in; SDK artifacts are
written during the run by the producers' real SDKs, offline against the provider simulator or a
loopback capture server.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from llmops.ingest import ingest_file
from tests.builders.conformance import artifact_path, artifacts, mismatches, rows_by_call_id

ENTRIES = artifacts()


def _id(entry: dict[str, Any]) -> str:
    return entry["id"]


def test_manifest_lists_enough_artifacts_with_provenance() -> None:
    ids = [e["id"] for e in ENTRIES]
    assert len(ids) == len(set(ids)), "artifact ids must be unique"
    assert len(ENTRIES) >= 25
    sdk = [e for e in ENTRIES if "sdk" in e]
    assert len(sdk) >= 8
    assert len({e["format"] for e in ENTRIES}) >= 6
    for e in ENTRIES:
        assert e.get("expect") or e.get("quarantined"), f"{e['id']}: no values to check"
        if "sdk" in e:
            assert {"package", "generated_by"} <= e["sdk"].keys(), e["id"]
            continue
        src = e["source"]
        assert {"repo", "path", "commit", "license"} <= src.keys(), e["id"]
        assert re.fullmatch(r"[0-9a-f]{40}", src["commit"]), e["id"]
        assert artifact_path(e).is_file(), e["id"]


def produce(entry: dict[str, Any], out_dir: Path, request: pytest.FixtureRequest) -> Path:
    """The artifact's file: checked in, or written now by the producer's SDK."""
    if "sdk" not in entry:
        return artifact_path(entry)
    module, func = entry["sdk"]["generated_by"].split(":")
    api_base = request.getfixturevalue("simulator").api_base
    return getattr(importlib.import_module(module), func)(out_dir, api_base)


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_artifact_ingests_to_its_source_values(
    entry: dict[str, Any], settings, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = produce(entry, tmp_path, request)
    given = entry["_dir"] / entry["batch_input"] if "batch_input" in entry else None
    result = ingest_file(path, settings, entry.get("ingest_format", "auto"), batch_input=given)
    assert result.format == entry["format"]
    assert (result.accepted, result.quarantined) == (entry["accepted"], entry["quarantined"])
    rows = rows_by_call_id(settings.lake_dir)
    assert mismatches(entry.get("expect", []), rows, path) == []
