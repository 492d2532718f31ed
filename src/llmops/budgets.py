"""Monthly budgets per feature or team, from YAML."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from llmops.errors import ConfigError


class Budget(BaseModel):
    """A monthly USD budget for one feature or one team."""

    model_config = ConfigDict(extra="forbid")

    name: str
    feature: str | None = None
    team: str | None = None
    monthly_usd: float = Field(gt=0)
    alert_at: list[float] = Field(default_factory=lambda: [0.8, 1.0])

    @model_validator(mode="after")
    def _one_scope(self) -> Budget:
        if (self.feature is None) == (self.team is None):
            raise ValueError("set exactly one of 'feature' or 'team'")
        return self

    @property
    def column(self) -> str:
        """llm_calls column the budget is scoped by."""
        return "feature" if self.feature is not None else "team"

    @property
    def value(self) -> str:
        """Value of that column."""
        return self.feature if self.feature is not None else str(self.team)


class BudgetFile(BaseModel):
    """The budgets YAML: `budgets: [Budget, ...]`."""

    model_config = ConfigDict(extra="forbid")

    budgets: list[Budget] = Field(default_factory=list)


def load_budgets(path: Path | None) -> list[Budget]:
    """Read budgets, naming the file and field of any error."""
    if path is None or not path.exists():
        return []
    try:
        return BudgetFile.model_validate(yaml.safe_load(path.read_text()) or {}).budgets
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: field {where}: {first['msg']}") from exc
