"""The dataset store: `<root>/<name>/` holds the current version and every version's archive.

<root>/<name>/dataset.yaml             curation settings (mapping, checks, split), hand-written
<root>/<name>/items.jsonl              current version, canonical JSONL (a PR shows its diff)
<root>/<name>/manifest.yaml            current version's manifest (marks it current)
<root>/<name>/versions/<id>.jsonl.gz   every version's canonical JSONL (gzip, mtime 0)
<root>/<name>/versions/<id>.yaml       every version's manifest
"""

from __future__ import annotations

import fcntl
import gzip
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from llmops.datasets.config import CONFIG_FILE
from llmops.datasets.errors import DatasetError, StaleParentError
from llmops.datasets.manifest import Lineage, Manifest
from llmops.datasets.schema import Item, parse_jsonl, version_id
from llmops.lake.files import atomic_path

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ITEMS_FILE = "items.jsonl"
MANIFEST_FILE = "manifest.yaml"
VERSIONS_DIR = "versions"
MIN_PREFIX = 4


def parse_ref(ref: str) -> tuple[str, str | None]:
    """`NAME[@VERSION]` -> (name, version or None for current)."""
    name, _, version = ref.partition("@")
    if not NAME_RE.match(name):
        raise DatasetError(
            f"dataset name {name!r} must be lowercase letters, digits, '.', '_' or '-'"
        )
    return name, (version or None)


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (no name, mtime 0): same content, same archive bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def _write(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


class DatasetStore:
    """Read and write versions under a root folder (the repo's datasets/ by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def dataset_dir(self, name: str) -> Path:
        """Folder of a dataset (the name is checked)."""
        parse_ref(name)
        return self.root / name

    def names(self) -> list[str]:
        """Datasets with a current version."""
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{MANIFEST_FILE}"))

    def config_path(self, name: str) -> Path | None:
        """The dataset's dataset.yaml, when there is one."""
        path = self.dataset_dir(name) / CONFIG_FILE
        return path if path.exists() else None

    def current(self, name: str) -> Manifest | None:
        """Manifest of the current version (None for a dataset without versions)."""
        path = self.dataset_dir(name) / MANIFEST_FILE
        return Manifest.from_yaml(path.read_text()) if path.exists() else None

    def versions(self, name: str) -> list[Manifest]:
        """Every version's manifest, oldest first."""
        folder = self.dataset_dir(name) / VERSIONS_DIR
        found = [Manifest.from_yaml(p.read_text()) for p in folder.glob("*.yaml")]
        return sorted(found, key=lambda m: (m.created, m.version))

    def resolve(self, name: str, version: str | None = None) -> Manifest:
        """Manifest of `version` (a unique prefix is enough; None or 'current' = current)."""
        if version in (None, "current"):
            current = self.current(name)
            if current is None:
                raise DatasetError(f"dataset {name!r} has no version in {self.root}")
            return current
        assert version is not None
        if len(version) < MIN_PREFIX:
            raise DatasetError(f"version {version!r}: give at least {MIN_PREFIX} characters")
        folder = self.dataset_dir(name) / VERSIONS_DIR
        hits = sorted(p.stem for p in folder.glob(f"{version}*.yaml"))
        if len(hits) != 1:
            known = ", ".join(m.version for m in self.versions(name)) or "none"
            what = "is ambiguous" if hits else "not found"
            raise DatasetError(f"{name}@{version} {what}; versions: {known}")
        return Manifest.from_yaml((folder / f"{hits[0]}.yaml").read_text())

    def read_bytes(self, name: str, version: str) -> bytes:
        """Canonical JSONL of a version, checked against its id."""
        folder = self.dataset_dir(name)
        checkout = folder / ITEMS_FILE
        current = self.current(name)
        if current is not None and current.version == version and checkout.exists():
            data = checkout.read_bytes()
            if version_id(data) == version:
                return data
        archive = folder / VERSIONS_DIR / f"{version}.jsonl.gz"
        if not archive.exists():
            raise DatasetError(f"{archive}: archive of {name}@{version} is missing")
        data = gzip.decompress(archive.read_bytes())
        if version_id(data) != version:
            raise DatasetError(f"{archive}: content hash {version_id(data)} != {version}")
        return data

    def items(self, name: str, version: str | None = None) -> list[Item]:
        """Items of a version (current by default), sorted by id."""
        manifest = self.resolve(name, version)
        path = self.dataset_dir(name) / VERSIONS_DIR / f"{manifest.version}.jsonl.gz"
        return parse_jsonl(self.read_bytes(name, manifest.version), str(path))

    def archive_path(self, name: str, version: str) -> Path:
        """Where a version's immutable archive lives."""
        return self.dataset_dir(name) / VERSIONS_DIR / f"{version}.jsonl.gz"

    @contextmanager
    def _locked(self, name: str) -> Iterator[Path]:
        """Exclusive lock on the dataset folder while a version is written."""
        folder = self.dataset_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield folder
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def write_version(self, manifest: Manifest, data: bytes) -> Path:
        """Write a version and make it current; refuse if the current version is not its parent."""
        if version_id(data) != manifest.version:
            raise DatasetError(f"manifest says {manifest.version}, content is {version_id(data)}")
        with self._locked(manifest.name) as folder:
            current = self.current(manifest.name)
            now = current.version if current else None
            if now != manifest.parent:
                raise StaleParentError(
                    f"{manifest.name}: current version moved from {manifest.parent} to {now} "
                    "while this candidate was prepared or reviewed; run the curation again"
                )
            archive = folder / VERSIONS_DIR / f"{manifest.version}.jsonl.gz"
            if not archive.exists():
                _write(archive, gzip_bytes(data))
            text = manifest.to_yaml().encode()
            _write(folder / VERSIONS_DIR / f"{manifest.version}.yaml", text)
            _write(folder / ITEMS_FILE, data)
            _write(folder / MANIFEST_FILE, text)
        return folder

    def set_lineage(self, name: str, version: str, lineage: Lineage) -> Manifest:
        """Record where a version is tracked (its manifest and, if current, the current copy)."""
        with self._locked(name) as folder:
            manifest = self.resolve(name, version).model_copy(update={"lineage": lineage})
            text = manifest.to_yaml().encode()
            _write(folder / VERSIONS_DIR / f"{version}.yaml", text)
            current = self.current(name)
            if current is not None and current.version == version:
                _write(folder / MANIFEST_FILE, text)
        return manifest

    def write_config(self, name: str, text: str) -> Path:
        """Keep the dataset.yaml a dataset was curated with (only if it has none yet)."""
        path = self.dataset_dir(name) / CONFIG_FILE
        if not path.exists():
            _write(path, text.encode())
        return path
