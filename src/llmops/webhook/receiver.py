"""What to do with one authenticated-or-not delivery: check, de-duplicate, find prompts, emit."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from llmops.core.errors import LlmopsError
from llmops.core.settings.webhook import WebhookSettings
from llmops.webhook import changes, gitdiff
from llmops.webhook.events import PromptMerged, Provider
from llmops.webhook.payloads import (
    ZERO_SHA,
    Ignored,
    Merge,
    PayloadError,
    Push,
    parse_github,
    parse_gitlab,
)
from llmops.webhook.signature import github_signature_ok, gitlab_token_ok
from llmops.webhook.store import DeliveryStore, ReplayError

Emit = Callable[[PromptMerged], None]
log = logging.getLogger("llmops.webhook")

NO_FILE_LIST = "no file list; the push event to the default branch carries it"


class Rejected(LlmopsError):
    """A delivery refused with an HTTP status (401, 400, 409, 413, 503, ...)."""

    def __init__(self, status_code: int, message: str) -> None:
        """Keep the status with the message."""
        super().__init__(message)
        self.status_code = status_code


@dataclass
class Outcome:
    """The JSON answer to a delivery and its HTTP status."""

    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delivery:
    """One request as the Git host sent it: headers (lower-case names) and the raw body."""

    provider: Provider
    headers: Mapping[str, str]
    body: bytes


class Receiver:
    """Turns signed Git host deliveries into `llmops.prompt.merged` events."""

    def __init__(
        self, config: WebhookSettings, store: DeliveryStore, emit: Emit, repo_dir: Path
    ) -> None:
        """Bind configuration, the delivery store, the event sink and the local checkout."""
        self.config = config
        self.store = store
        self.emit = emit
        self.repo_dir = repo_dir

    def redact(self, text: str) -> str:
        """`text` with every configured secret replaced (defence in depth for messages)."""
        for secret in (self.config.github_secret, self.config.gitlab_token):
            if secret is not None and (value := secret.get_secret_value()):
                text = text.replace(value, "[redacted]")
        return text

    def require_configured(self, provider: Provider) -> None:
        """503 unless the provider's secret is configured: unsigned requests are never accepted."""
        if provider == "github" and self.config.github_secret is None:
            raise Rejected(
                503,
                "no GitHub webhook secret configured: set LLMOPS_WEBHOOK__GITHUB_SECRET "
                "(unsigned requests are never accepted)",
            )
        if provider == "gitlab" and self.config.gitlab_token is None:
            raise Rejected(
                503,
                "no GitLab webhook token configured: set LLMOPS_WEBHOOK__GITLAB_TOKEN "
                "(unauthenticated requests are never accepted)",
            )

    def handle(self, delivery: Delivery) -> Outcome:
        """The answer to one delivery whose body is within the size limit."""
        self.require_configured(delivery.provider)
        h = delivery.headers
        if delivery.provider == "github":
            assert self.config.github_secret is not None
            signature = h.get("x-hub-signature-256")
            if not signature:
                raise Rejected(401, "missing X-Hub-Signature-256 header: requests must be signed")
            if not github_signature_ok(self.config.github_secret, delivery.body, signature):
                raise Rejected(401, "X-Hub-Signature-256 does not match the body")
            event = _header(h, "x-github-event", "X-GitHub-Event")
            delivery_id = _header(h, "x-github-delivery", "X-GitHub-Delivery")
        else:
            assert self.config.gitlab_token is not None
            token = h.get("x-gitlab-token")
            if not token:
                raise Rejected(401, "missing X-Gitlab-Token header")
            if not gitlab_token_ok(self.config.gitlab_token, token):
                raise Rejected(401, "X-Gitlab-Token does not match the configured token")
            event = _header(h, "x-gitlab-event", "X-Gitlab-Event")
            delivery_id = h.get("idempotency-key") or _header(
                h, "x-gitlab-event-uuid", "X-Gitlab-Event-UUID (or Idempotency-Key)"
            )
        payload = _json_body(delivery.body, h.get("content-type", ""))
        try:
            parsed = (parse_github if delivery.provider == "github" else parse_gitlab)(
                event, payload, self.config.default_branch
            )
        except PayloadError as exc:
            raise Rejected(400, str(exc)) from exc
        try:
            self.store.claim_delivery(
                delivery.provider, delivery_id, hashlib.sha256(delivery.body).hexdigest()
            )
        except ReplayError as exc:
            raise Rejected(409, str(exc)) from exc
        answer = {"provider": delivery.provider, "event": event, "delivery_id": delivery_id}
        if isinstance(parsed, Ignored):
            self.store.complete_delivery(delivery.provider, delivery_id)
            return Outcome(202, {**answer, "status": "ignored", "message": parsed.reason})
        try:
            outcome = self._act(parsed, delivery_id, answer)
        except Exception:
            self.store.release_delivery(delivery.provider, delivery_id)
            raise
        # Only now, with every event emitted, is the delivery done (a crash before this line
        # leaves it open, and the host's redelivery is processed again, not answered 409).
        self.store.complete_delivery(delivery.provider, delivery_id)
        return outcome

    def _act(self, parsed: Push | Merge, delivery_id: str, answer: dict[str, Any]) -> Outcome:
        """Find the changed prompts and emit one event each."""
        prefix = self.config.prompts_prefix
        timeout = self.config.git_timeout_s
        warnings: list[str] = []
        if isinstance(parsed, Push):
            commit_sha, base_sha = (
                parsed.after,
                (None if parsed.before == ZERO_SHA else parsed.before),
            )
            source, listed = "push", changes.from_commits(parsed.commits, prefix)
            found = listed
            if not parsed.complete:
                try:
                    entries = gitdiff.range_diff(
                        self.repo_dir, parsed.before, parsed.after, timeout
                    )
                    found = changes.from_diff(entries, prefix, parsed.pusher)
                    warnings.append("commit list truncated or forced push: files from git diff")
                except gitdiff.HistoryUnavailable as exc:
                    warnings.append(
                        "commit list truncated or forced push, and the checkout cannot tell "
                        f"the net change ({exc}): prompts from the listed commits only"
                    )
        else:
            source = parsed.source
            try:
                base_sha, entries = gitdiff.merge_diff(
                    self.repo_dir, parsed.base, parsed.merge_sha, timeout
                )
            except gitdiff.HistoryUnavailable as exc:
                return Outcome(
                    202, {**answer, "status": "ignored", "message": f"{NO_FILE_LIST} ({exc})"}
                )
            commit_sha = parsed.merge_sha or ""
            found = changes.from_diff(entries, prefix, parsed.author)
        for warning in warnings:
            log.warning("%s delivery %s: %s", parsed.provider, delivery_id, warning)
        answer = {**answer, "repository": parsed.repository, "branch": parsed.branch}
        answer |= {"commit_sha": commit_sha, "warnings": warnings}
        if found.other_files or found.transient:
            answer["not_prompts"] = found.other_files + found.transient
        if not found.prompts:
            extra = (
                f" ({len(found.other_files) + len(found.transient)} other file(s) under {prefix}: "
                "not <name>.yaml|yml directly in the folder, or added and removed again)"
                if found.other_files or found.transient
                else ""
            )
            message = f"no prompt file under {prefix} changed{extra}"
            return Outcome(202, {**answer, "status": "ignored", "message": message})
        return self._emit_all(parsed, found, source, commit_sha, base_sha, delivery_id, answer)

    def _emit_all(
        self,
        parsed: Push | Merge,
        found: changes.PromptChanges,
        source: str,
        commit_sha: str,
        base_sha: str | None,
        delivery_id: str,
        answer: dict[str, Any],
    ) -> Outcome:
        """Emit each change not emitted before (by this or a sibling push/merge delivery)."""
        emitted, skipped = [], []
        for change in found.prompts:
            event = PromptMerged(
                prompt=change.prompt,
                path=change.path,
                change=change.change,
                commit_sha=commit_sha,
                base_sha=base_sha,
                author=change.author,
                repository=parsed.repository,
                branch=parsed.branch,
                delivery_id=delivery_id,
                provider=parsed.provider,
                source=source,  # type: ignore[arg-type]
            )
            summary = {
                "prompt": event.prompt,
                "path": event.path,
                "change": event.change,
                "event_id": str(event.event_id),
                "resource_id": event.resource_id,
            }
            earlier = self.store.claim_prompt(
                event.repository, commit_sha, event.path, delivery_id, str(event.event_id)
            )
            if earlier is not None:
                skipped.append({**summary, "already_emitted_by": earlier})
                continue
            try:
                self.emit(event)
            except Exception as exc:
                self.store.release_prompt(event.repository, commit_sha, event.path)
                error = self.redact(f"{type(exc).__name__}: {exc}")
                log.error("emitting %s for %s failed: %s", event.resource_id, delivery_id, error)
                raise Rejected(
                    502,
                    f"emitting the event for prompt {event.prompt!r} failed ({error}); "
                    f"emitted before the failure: {[e['prompt'] for e in emitted]}; "
                    "the delivery was forgotten so the host can redeliver it",
                ) from exc
            self.store.confirm_prompt(event.repository, commit_sha, event.path)
            emitted.append(summary)
        answer |= {"events": emitted, "skipped": skipped}
        if not emitted:
            message = "every changed prompt was already emitted by an earlier delivery"
            return Outcome(202, {**answer, "status": "ignored", "message": message})
        names = ", ".join(e["prompt"] for e in emitted)
        return Outcome(200, {**answer, "status": "emitted", "message": f"emitted for {names}"})


def _header(headers: Mapping[str, str], key: str, name: str) -> str:
    value = headers.get(key, "").strip()
    if not value:
        raise Rejected(400, f"missing {name} header")
    return value


def _json_body(body: bytes, content_type: str) -> dict[str, Any]:
    """The JSON object of the body (also GitHub's form encoding: payload=<json>)."""
    text: str | bytes = body
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("utf-8", errors="replace")).get("payload")
        if not values:
            raise Rejected(400, "form-encoded body without a payload field")
        text = values[0]
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Rejected(
            400, f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise Rejected(400, f"body is not UTF-8 JSON: {exc.reason} at byte {exc.start}") from exc
    except RecursionError as exc:
        raise Rejected(400, "body is JSON nested deeper than the parser allows") from exc
    if not isinstance(payload, dict):
        raise Rejected(400, f"body is JSON {type(payload).__name__}, not an object")
    return payload
