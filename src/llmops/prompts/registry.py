"""Prompt versions in MLflow's prompt registry, with `champion` / `candidate` aliases.

Every call goes through an explicit `MlflowClient(tracking_uri=settings.mlflow_uri)`; no global
tracking URI is set. A version's tags carry what rebuilds its `PromptSpec` (content_hash,
git_commit, model, params, output_schema, datasets, variables, description), so an eval can run
any registered version, not only the file on disk. The champion history (JSON list of versions,
current champion last) is the prompt-level tag `llmops.champion_history`, so rollback works
against any tracking URI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from llmops.prompts.errors import PromptError
from llmops.prompts.identity import canonical_json, content_hash, git_commit
from llmops.prompts.spec import PromptSpec, field_location, load_specs

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import PromptVersion

    from llmops.core.settings import Settings

CHAMPION = "champion"
CANDIDATE = "candidate"
HISTORY_TAG = "llmops.champion_history"
HASH_TAG = "content_hash"
COMMIT_TAG = "git_commit"
METADATA_TAGS = ("description", "datasets")  # refreshed in place: they do not change the call
MIN_HASH_PREFIX = 4


class RegisteredPrompt(BaseModel):
    """One registered prompt version and the spec rebuilt from the registry."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int
    content_hash: str
    git_commit: str | None = None
    aliases: list[str] = []
    spec: PromptSpec
    registered_at: datetime | None = None
    created: bool = False  # True when the `sync` that returned it registered this version

    @property
    def uri(self) -> str:
        """MLflow's URI of this version (`prompts:/<name>/<version>`)."""
        return f"prompts:/{self.name}/{self.version}"

    @property
    def ref(self) -> str:
        """`name@version`, the form the CLI and the eval flow accept."""
        return f"{self.name}@{self.version}"


class PromptSummary(BaseModel):
    """A registered prompt at a glance: version count and where the aliases point."""

    model_config = ConfigDict(frozen=True)

    name: str
    versions: int
    latest: int
    champion: int | None = None
    champion_hash: str | None = None
    candidate: int | None = None
    candidate_hash: str | None = None
    model: str | None = None


def parse_ref(ref: str) -> tuple[str, str | None]:
    """`NAME[@REF]` -> (name, ref or None for the champion)."""
    name, _, version = ref.partition("@")
    if not name:
        raise PromptError(f"{ref!r}: expected NAME or NAME@REF (champion, candidate, 3, a1b2c3d4)")
    return name, (version or None)


def version_tags(spec: PromptSpec, commit: str | None) -> dict[str, str]:
    """The tags a version is registered with (everything `spec_from_version` needs)."""
    tags = {
        HASH_TAG: content_hash(spec),
        "model": spec.model,
        "params": canonical_json(spec.params),
        "output_schema": canonical_json(spec.output_schema),
        "datasets": canonical_json(spec.datasets),
        "variables": canonical_json(spec.variables),
        "description": spec.description,
    }
    if commit:
        tags[COMMIT_TAG] = commit
    if spec.source is not None:
        tags["source_file"] = spec.source.name
    return tags


def spec_from_version(pv: PromptVersion) -> PromptSpec:
    """Rebuild the PromptSpec of a registered version; its content hash must match its tag."""
    where = f"registry prompt {pv.name} version {pv.version}"
    tags = pv.tags or {}
    if HASH_TAG not in tags:
        raise PromptError(f"{where}: not registered by llmops (no {HASH_TAG} tag)")
    try:
        spec = PromptSpec.model_validate(
            {
                "name": pv.name,
                "description": tags.get("description", ""),
                "model": tags.get("model"),
                "messages": pv.template,
                "variables": json.loads(tags.get("variables", "[]")),
                "params": json.loads(tags.get("params", "{}")),
                "output_schema": json.loads(tags.get("output_schema", "null")),
                "datasets": json.loads(tags.get("datasets", "[]")),
            }
        )
    except (ValidationError, json.JSONDecodeError) as exc:
        raise PromptError(f"{where}: cannot rebuild the prompt from its tags: {exc}") from exc
    if (actual := content_hash(spec)) != tags[HASH_TAG]:
        raise PromptError(f"{where}: content hash {actual} != tag {HASH_TAG}={tags[HASH_TAG]}")
    return spec


def _registered(pv: PromptVersion, created: bool = False) -> RegisteredPrompt:
    """A RegisteredPrompt from an MLflow PromptVersion (fetched with its aliases)."""
    spec = spec_from_version(pv)
    stamp = pv.creation_timestamp
    return RegisteredPrompt(
        name=pv.name,
        version=int(pv.version),
        content_hash=pv.tags[HASH_TAG],
        git_commit=pv.tags.get(COMMIT_TAG) or None,
        aliases=sorted(pv.aliases or []),
        spec=spec,
        registered_at=datetime.fromtimestamp(stamp / 1000, UTC) if stamp else None,
        created=created,
    )


class PromptRegistry:
    """Sync prompt files to MLflow's prompt registry; resolve, promote and roll back versions."""

    def __init__(self, settings: Settings, tracking_uri: str | None = None) -> None:
        """Bind the settings; the MLflow client is created on first use."""
        self.settings = settings
        self.tracking_uri = tracking_uri or settings.mlflow_uri

    @cached_property
    def client(self) -> MlflowClient:
        """The explicit MLflow client (registry = tracking URI; sqlite under home by default)."""
        from mlflow import MlflowClient

        if self.tracking_uri.startswith("sqlite:///"):
            Path(self.tracking_uri.removeprefix("sqlite:///")).parent.mkdir(
                parents=True, exist_ok=True
            )
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    # -- reading -------------------------------------------------------------------------

    def exists(self, name: str) -> bool:
        """True when a prompt of this name is registered."""
        return self.client.get_prompt(name) is not None

    def _require(self, name: str) -> None:
        if not self.exists(name):
            raise PromptError(
                f"prompt {name!r} is not registered in {self.tracking_uri} "
                "(run `llmops prompts sync`)"
            )

    def _version_list(self, name: str) -> list[PromptVersion]:
        """Every version of a prompt (all pages), oldest first, without aliases."""
        out: list[PromptVersion] = []
        token = None
        while True:
            page = self.client.search_prompt_versions(name, max_results=1000, page_token=token)
            out.extend(page)
            token = page.token
            if not token:
                break
        return sorted(out, key=lambda pv: int(pv.version))

    def _alias(self, name: str, alias: str) -> int | None:
        """The version an alias points to, or None when the alias is not set."""
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import (
            INVALID_PARAMETER_VALUE,
            NOT_FOUND,
            RESOURCE_DOES_NOT_EXIST,
            ErrorCode,
        )

        missing = {ErrorCode.Name(c) for c in (INVALID_PARAMETER_VALUE, NOT_FOUND)}
        missing.add(ErrorCode.Name(RESOURCE_DOES_NOT_EXIST))
        try:
            return int(self.client.get_prompt_version_by_alias(name, alias).version)
        except MlflowException as exc:
            if exc.error_code in missing:
                return None
            raise

    def get(self, name: str, version: int) -> RegisteredPrompt:
        """One version by number (with its aliases)."""
        from mlflow.exceptions import MlflowException

        try:
            pv = self.client.get_prompt_version(name, version)
        except MlflowException as exc:
            raise PromptError(f"prompt {name!r} has no version {version}: {exc.message}") from exc
        if pv is None:
            raise PromptError(f"prompt {name!r} has no version {version}")
        return _registered(pv)

    def resolve(self, name: str, ref: str | int | None = None) -> RegisteredPrompt:
        """A version by alias (default champion), number (`3` or `v3`) or content-hash prefix."""
        self._require(name)
        ref = CHAMPION if ref is None or ref == "" else str(ref)
        number = ref[1:] if ref[:1] == "v" and ref[1:].isdigit() else ref
        if number.isdigit():
            versions = [int(pv.version) for pv in self._version_list(name)]
            if int(number) in versions or ref != number:
                return self.get(name, int(number))
        by_alias = self._alias(name, ref)
        if by_alias is not None:
            return self.get(name, by_alias)
        if len(ref) >= MIN_HASH_PREFIX and all(c in "0123456789abcdef" for c in ref):
            found = [
                pv
                for pv in self._version_list(name)
                if (pv.tags or {}).get(HASH_TAG, "").startswith(ref)
            ]
            # one content, even when two racing syncs registered it twice: the earliest version
            if len({pv.tags[HASH_TAG] for pv in found}) == 1:
                return self.get(name, int(found[0].version))
            if len(found) > 1:
                listed = ", ".join(f"v{pv.version}" for pv in found)
                raise PromptError(f"prompt {name!r}: hash prefix {ref!r} is ambiguous ({listed})")
        raise PromptError(
            f"prompt {name!r}: {ref!r} is no alias, version or content-hash prefix "
            f"(aliases: {self._alias_text(name)})"
        )

    def _alias_text(self, name: str) -> str:
        found = {a: self._alias(name, a) for a in (CHAMPION, CANDIDATE)}
        return ", ".join(f"{a}=v{v}" for a, v in found.items() if v is not None) or "none"

    def champion_history(self, name: str) -> list[int]:
        """Versions that were champion, oldest first (the current champion last)."""
        prompt = self.client.get_prompt(name)
        raw = (prompt.tags or {}).get(HISTORY_TAG) if prompt is not None else None
        if not raw:
            return []
        try:
            history = json.loads(raw)
            if not isinstance(history, list) or not all(isinstance(v, int) for v in history):
                raise ValueError("expected a JSON list of version numbers")
        except ValueError as exc:
            raise PromptError(
                f"prompt {name!r}: tag {HISTORY_TAG}={raw!r} is invalid: {exc}"
            ) from exc
        return history

    def history(self, name: str) -> list[RegisteredPrompt]:
        """Every version of a prompt, oldest first, each with its aliases."""
        self._require(name)
        return [self.get(name, int(pv.version)) for pv in self._version_list(name)]

    def _prompt_names(self) -> Iterator[str]:
        token = None
        while True:
            page = self.client.search_prompts(max_results=1000, page_token=token)
            yield from (p.name for p in page)
            token = page.token
            if not token:
                return

    # -- writing -------------------------------------------------------------------------

    def sync(self, spec: PromptSpec) -> RegisteredPrompt:
        """Register the spec unless a version has the same content hash (idempotent).

        The first version of a prompt becomes `champion`; a later new version becomes
        `candidate`. A matching version gets its description/datasets tags refreshed (and its
        git commit filled in when it was unknown); its aliases do not move, except that a prompt
        left without a champion (a sync interrupted after registering) gets this one.
        """
        self.check_model(spec)
        digest = content_hash(spec)
        commit = git_commit(spec.source) if spec.source is not None else None
        existing = self._version_list(spec.name) if self.exists(spec.name) else []
        for pv in existing:
            if (pv.tags or {}).get(HASH_TAG) == digest:
                self._refresh(pv, spec, commit)
                if self._alias(spec.name, CHAMPION) is None:  # e.g. a sync that died midway
                    self._crown(spec.name, int(pv.version))
                return self.get(spec.name, int(pv.version))
        pv = self._register(spec, commit)
        version = int(pv.version)
        if self._alias(spec.name, CHAMPION) is None:
            self._crown(spec.name, version)
        else:
            self.client.set_prompt_alias(spec.name, CANDIDATE, version)
        return self.get(spec.name, version).model_copy(update={"created": True})

    def _crown(self, name: str, version: int) -> None:
        """Make a version the champion of a prompt that has none."""
        self.client.set_prompt_alias(name, CHAMPION, version)
        self._write_history(name, [*self.champion_history(name), version])

    def check_model(self, spec: PromptSpec) -> None:
        """The spec's model must be a chat alias configured in settings.models."""
        models = getattr(self.settings, "models", None)
        if models is None:  # settings without model aliases: nothing to check against
            return
        alias = models.get(spec.model)
        problem = None
        if alias is None:
            problem = (
                f"alias {spec.model!r} is not in settings.models ({', '.join(sorted(models))})"
            )
        elif getattr(alias, "kind", "chat") != "chat":
            problem = f"alias {spec.model!r} is an {alias.kind} model, not a chat model"
        if problem:
            raise PromptError(f"{field_location(spec, 'model')}: field model: {problem}")

    def _register(self, spec: PromptSpec, commit: str | None) -> PromptVersion:
        from mlflow.exceptions import MlflowException

        tags = version_tags(spec, commit)
        message = f"llmops sync: content {tags[HASH_TAG]}" + (
            f", git {commit[:12]}" if commit else ""
        )
        try:
            return self.client.register_prompt(
                name=spec.name,
                template=[m.model_dump() for m in spec.messages],
                commit_message=message,
                tags=tags,
                response_format=spec.output_schema,
            )
        except MlflowException as exc:
            raise PromptError(f"prompt {spec.name!r}: MLflow refused it: {exc.message}") from exc

    def _refresh(self, pv: PromptVersion, spec: PromptSpec, commit: str | None) -> None:
        """Update tags that do not change the call (and fill an unknown git commit)."""
        wanted = version_tags(spec, commit)
        keys = [*METADATA_TAGS, *([COMMIT_TAG] if commit and not pv.tags.get(COMMIT_TAG) else [])]
        for key in keys:
            if pv.tags.get(key) != wanted[key]:
                self.client.set_prompt_version_tag(pv.name, pv.version, key, wanted[key])

    def sync_all(self, prompts_dir: Path | None = None) -> list[RegisteredPrompt]:
        """Sync every prompt file of a folder (default: settings.prompts_dir); all files load
        before anything is registered, so one bad file registers nothing."""
        specs = load_specs(prompts_dir or self.settings.prompts_dir)
        for spec in specs:
            self.check_model(spec)
        return [self.sync(spec) for spec in specs]

    def _write_history(self, name: str, history: list[int]) -> None:
        self.client.set_prompt_tag(name, HISTORY_TAG, json.dumps(history))

    def promote(
        self, name: str, version: int | None = None
    ) -> tuple[RegisteredPrompt | None, RegisteredPrompt]:
        """Move `champion` to a version (default: the candidate) -> (old champion, new one).

        The candidate alias is removed when it pointed to the promoted version. Promoting the
        current champion changes nothing.
        """
        self._require(name)
        champion = self._alias(name, CHAMPION)
        candidate = self._alias(name, CANDIDATE)
        target = version if version is not None else candidate
        if target is None:
            raise PromptError(
                f"prompt {name!r} has no candidate to promote (give a version: {name}@VERSION)"
            )
        new = self.get(name, target)  # raises when the version does not exist
        if champion != target:
            # alias first, then history: a crash in between still rolls back to the old champion
            self.client.set_prompt_alias(name, CHAMPION, target)
            history = self.champion_history(name)
            if champion is not None and (not history or history[-1] != champion):
                history.append(champion)
            self._write_history(name, [*history, target])
        if candidate == target:
            self.client.delete_prompt_alias(name, CANDIDATE)
        old = self.get(name, champion) if champion is not None else None
        return old, self.get(name, new.version)

    def rollback(self, name: str) -> tuple[RegisteredPrompt, RegisteredPrompt]:
        """Move `champion` back to the previous champion -> (old champion, restored one)."""
        self._require(name)
        champion = self._alias(name, CHAMPION)
        if champion is None:
            raise PromptError(f"prompt {name!r} has no champion to roll back")
        history = self.champion_history(name)
        while history and history[-1] == champion:
            history.pop()
        if not history:
            raise PromptError(
                f"prompt {name!r}: no previous champion to roll back to "
                f"(v{champion} is the only champion it has had)"
            )
        previous = history[-1]
        restored = self.get(name, previous)  # raises when that version was deleted
        # history first, then alias: a crash in between leaves a rollback that can be redone
        self._write_history(name, history)
        self.client.set_prompt_alias(name, CHAMPION, previous)
        return self.get(name, champion), self.get(name, restored.version)

    def summary(self, name: str) -> PromptSummary:
        """Version count and alias targets of one prompt (tolerates foreign versions)."""
        versions = self._version_list(name)
        by_number = {int(pv.version): pv for pv in versions}
        champion, candidate = self._alias(name, CHAMPION), self._alias(name, CANDIDATE)

        def tag(version: int | None, key: str) -> Any:
            pv = by_number.get(version) if version is not None else None
            return (pv.tags or {}).get(key) if pv is not None else None

        head = champion if champion is not None else max(by_number, default=None)
        return PromptSummary(
            name=name,
            versions=len(versions),
            latest=max(by_number, default=0),
            champion=champion,
            champion_hash=tag(champion, HASH_TAG),
            candidate=candidate,
            candidate_hash=tag(candidate, HASH_TAG),
            model=tag(head, "model"),
        )

    def list(self) -> list[PromptSummary]:
        """Every registered prompt, sorted by name."""
        return [self.summary(name) for name in sorted(self._prompt_names())]
