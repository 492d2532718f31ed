"""Settings of the webhook receiver (pydantic only, so importing the settings stays light)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator


class WebhookSettings(BaseModel):
    """Secrets, limits and the prompts folder of `llmops webhook serve` (env LLMOPS_WEBHOOK__*)."""

    github_secret: SecretStr | None = Field(
        None, description="GitHub webhook secret (LLMOPS_WEBHOOK__GITHUB_SECRET)"
    )
    gitlab_token: SecretStr | None = Field(
        None, description="GitLab webhook secret token (LLMOPS_WEBHOOK__GITLAB_TOKEN)"
    )
    default_branch: str | None = Field(
        None, description="branch whose merges count; default: the repository's default branch"
    )
    prompts_prefix: str = Field(
        "prompts/", description="repository folder of prompt files (<prefix><name>.yaml|yml)"
    )
    max_body_bytes: int = Field(1024 * 1024, gt=0, description="larger request bodies get 413")
    repo_dir: Path | None = Field(
        None,
        description="local checkout used to list the files of a merged pull/merge request "
        "(git diff base..merge); default: the current directory",
    )
    git_timeout_s: float = Field(20.0, gt=0, description="timeout of each local git command")
    emit_timeout_s: float = Field(
        30.0, gt=0, description="how long to wait for Prefect to take the events of one delivery"
    )

    @field_validator("prompts_prefix")
    @classmethod
    def _folder(cls, value: str) -> str:
        value = value.strip().strip("/")
        if not value:
            raise ValueError("prompts_prefix must name a folder, e.g. 'prompts/'")
        return value + "/"

    @field_validator("default_branch")
    @classmethod
    def _branch(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("refs/heads/")
        return value or None
