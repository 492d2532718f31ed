"""The `llmops.prompt.merged` event: one per prompt file changed by a merge to the default branch."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

EVENT_NAME = "llmops.prompt.merged"
RESOURCE_PREFIX = "llmops.prompt."
_ID_NAMESPACE = uuid.UUID("6f1c55a4-9a53-4d0e-8d61-2f3f0e0b8a11")

ChangeKind = Literal["added", "modified", "removed"]
Provider = Literal["github", "gitlab"]
Source = Literal["push", "pull_request", "merge_request"]


class PromptMerged(BaseModel):
    """A prompt file changed on the default branch (the payload of the Prefect event)."""

    prompt: str = Field(description="prompt name: the file name without .yaml/.yml")
    path: str = Field(description="path of the prompt file in the repository")
    change: ChangeKind = Field(description="net change over the delivery's commits")
    commit_sha: str = Field(description="commit at which the change landed on the branch")
    base_sha: str | None = Field(None, description="the branch before the change (champion)")
    author: str = Field(description="who made the change (commit author or request author)")
    repository: str = Field(description="owner/name (GitHub) or namespace/path (GitLab)")
    branch: str = Field(description="branch the change landed on (the default branch)")
    delivery_id: str = Field(description="the Git host's delivery id of the webhook request")
    provider: Provider
    source: Source = Field(description="which Git host event carried the change")

    @property
    def resource_id(self) -> str:
        """Prefect resource id: `llmops.prompt.<name>` (what deployment triggers match)."""
        return RESOURCE_PREFIX + self.prompt

    @property
    def event_id(self) -> uuid.UUID:
        """Stable id: the same prompt change at the same commit is the same event."""
        return uuid.uuid5(
            _ID_NAMESPACE, f"{self.repository}\n{self.commit_sha}\n{self.path}\n{self.change}"
        )
