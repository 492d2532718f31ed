"""One settings object for llmops: env prefix LLMOPS_, optional llmops.yaml, built lazily."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from llmops.core.settings.audit import GuardrailJudgeSettings, TextRetention
from llmops.core.settings.collector import CollectorSettings
from llmops.core.settings.evals import EvalSettings
from llmops.core.settings.feedback import FeedbackSettings
from llmops.core.settings.gateway import (
    GatewaySettings,
    ModelAlias,
    SimulatorSettings,
    default_models,
    merge_models,
)
from llmops.core.settings.model_watch import ModelWatchSettings
from llmops.core.settings.webhook import WebhookSettings


class AlertRules(BaseModel):
    """Thresholds of the cost / error / latency alert rules (practitioners' defaults)."""

    cost_spike_pct: float = Field(0.20, description="cost per request above the 7-day mean by this")
    cost_spike_sigmas: float = Field(3.0, description="... and above mean + N standard deviations")
    cost_spike_baseline_days: int = Field(7, description="rolling baseline window in days")
    cost_spike_min_baseline_days: int = Field(3, description="days of history needed to judge")
    cost_spike_min_calls: int = Field(20, description="successful calls needed that day")
    error_rate_threshold: float = Field(0.01, description="error rate above this in a window")
    error_window_minutes: int = Field(5, description="tumbling window for the error rate")
    error_min_errors: int = Field(3, description="errors needed in a window before alerting")
    latency_p95_threshold_ms: float = Field(5000.0, description="p95 latency above this per hour")
    latency_min_calls: int = Field(10, description="calls needed in an hour to judge p95")


class GuardrailAlertRules(BaseModel):
    """Findings per detector and label in one audit run that raise `llmops.guardrail.alert`."""

    critical_min_findings: int | None = Field(1, description="critical findings (secrets)")
    high_min_findings: int | None = Field(5, description="high findings (injection, card, ...)")
    medium_min_findings: int | None = Field(None, description="medium findings (email, toxic)")
    low_min_findings: int | None = Field(None, description="low findings (ip)")
    label_min_findings: dict[str, int] = Field(
        default_factory=dict,
        description="per-label override over all severities, e.g. {'injection': 3, 'toxic': 50}",
    )


class Settings(BaseSettings):
    """Where llmops keeps its state and how it behaves; see ARCHITECTURE.md."""

    model_config = SettingsConfigDict(
        env_prefix="LLMOPS_",
        env_nested_delimiter="__",
        yaml_file="llmops.yaml",
        extra="ignore",
    )

    home: Path = Field(Path(".llmops"), description="state directory (lake, warehouse, mlflow)")
    user_hash_key: SecretStr | None = Field(
        None, description="key for hashing user ids; default: a random key kept in HOME"
    )
    prices_file: Path | None = Field(
        None, description="YAML price overrides (negotiated or unmapped models)"
    )
    budgets_file: Path | None = Field(None, description="YAML monthly budgets per feature/team")
    drop_dir: Path | None = Field(None, description="folder the cost rollup ingests from")
    alerts: AlertRules = Field(default_factory=AlertRules)
    models: dict[str, ModelAlias] = Field(
        default_factory=default_models,
        description="model aliases (candidate, judge, embedder, ...); simulator by default",
    )
    simulator: SimulatorSettings = Field(default_factory=SimulatorSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    model_watch: ModelWatchSettings = Field(default_factory=ModelWatchSettings)
    guardrail_alerts: GuardrailAlertRules = Field(default_factory=GuardrailAlertRules)
    guardrail_judge: GuardrailJudgeSettings = Field(
        default_factory=GuardrailJudgeSettings, description="audit's optional LLM judge tier (off)"
    )
    text_retention: TextRetention = Field(
        "redact",
        description="raw call text at rest: redact (after the audit, PII and secrets replaced by "
        "placeholders), {keep_days: N} (raw until N days old), keep (raw forever)",
    )
    evals: EvalSettings = Field(default_factory=EvalSettings)
    ingest_chunk_bytes: int = Field(64 * 1024 * 1024, description="JSONL read size per chunk")
    prefect_port: int = Field(4200, description="port of the local Prefect server the demo starts")
    mlflow_port: int = Field(5000, description="port of the MLflow UI the demo starts")
    datasets_dir: Path = Field(
        Path("datasets"), description="golden dataset store (JSONL + manifest per version)"
    )
    prompts_dir: Path = Field(
        Path("prompts"), description="prompt templates (one YAML file per prompt)"
    )
    feedback: FeedbackSettings = Field(
        default_factory=FeedbackSettings, description="feedback endpoint and flywheel"
    )
    webhook: WebhookSettings = Field(
        default_factory=WebhookSettings, description="signed Git host webhook receiver"
    )
    collector: CollectorSettings = Field(
        default_factory=CollectorSettings, description="live telemetry collector"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order: constructor, environment, llmops.yaml, defaults."""
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls))

    @field_validator("models", mode="before")
    @classmethod
    def _merge_models(cls, value: object) -> object:
        return merge_models(value)

    @field_validator(
        "home", "drop_dir", "prices_file", "budgets_file", "datasets_dir", "prompts_dir"
    )
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def mlflow_uri(self) -> str:
        return f"sqlite:///{self.home / 'mlflow.db'}"

    @property
    def inbox_dir(self) -> Path:
        return self.drop_dir or self.home / "drop"

    @cached_property
    def user_key(self) -> bytes:
        """The keyed-hash secret for user ids, created once per home if not configured."""
        if self.user_hash_key is not None:
            return self.user_hash_key.get_secret_value().encode()
        path = self.home / "secrets" / "user_hash.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".user_hash.{secrets.token_hex(4)}.tmp")
            tmp.write_text(secrets.token_hex(32))
            tmp.chmod(0o600)
            with contextlib.suppress(FileExistsError):  # another process won the race: use theirs
                os.link(tmp, path)
            tmp.unlink()
        return path.read_text().strip().encode()


def get_settings(**overrides: object) -> Settings:
    """Build the settings now (never at import)."""
    return Settings(**overrides)  # type: ignore[arg-type]
