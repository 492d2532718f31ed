"""Monthly budgets per feature or team, from YAML."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llmops.core.config_files import load_yaml_model


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
    return load_yaml_model(path, BudgetFile).budgets
