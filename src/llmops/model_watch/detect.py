"""Update detection: compare a probe with the identity last declared for its alias."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from llmops.model_watch.probe import Probe

Status = Literal["baseline", "unchanged", "drift", "updated", "error"]


class Identity(BaseModel):
    """A served model identity: snapshot name, backend fingerprint, canary outputs."""

    model: str | None
    fingerprint: str | None
    canary_hash: str | None


class Observation(BaseModel):
    """One row of the lake table `model_versions` (see llmops.lake.schema.MODEL_VERSIONS)."""

    observed_at: datetime
    alias: str
    probe_id: str
    provider: str | None = None
    requested_model: str | None = None
    served_model: str | None = None
    system_fingerprint: str | None = None
    canary_hash: str | None = None
    canary_hashes: str | None = None
    canary_set: str | None = None
    canaries: int = 0
    simulated: bool | None = None
    status: Status
    reason: str | None = None
    drift: float | None = None
    drift_streak: int = 0
    declared_model: str | None = None
    declared_fingerprint: str | None = None
    declared_canary_hash: str | None = None
    declared_canary_hashes: str | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None

    @property
    def declared(self) -> Identity:
        """The identity this row says is current."""
        return Identity(
            model=self.declared_model,
            fingerprint=self.declared_fingerprint,
            canary_hash=self.declared_canary_hash,
        )

    @property
    def observed(self) -> Identity:
        """The identity this probe saw."""
        return Identity(
            model=self.served_model,
            fingerprint=self.system_fingerprint,
            canary_hash=self.canary_hash,
        )


class ModelUpdate(BaseModel):
    """A declared model update: what `llmops.model.updated` carries."""

    alias: str
    old: Identity
    new: Identity
    reason: str
    simulated: bool | None
    observed_at: datetime
    probe_id: str


def drift_share(hashes: list[str], declared: str | None) -> float:
    """Share of canaries whose output hash differs from the declared one (by position)."""
    before = declared.split(",") if declared else []
    if len(before) != len(hashes):
        return 1.0
    return sum(a != b for a, b in zip(hashes, before, strict=True)) / max(len(hashes), 1)


def decide(
    previous: Observation | None,
    probe: Probe,
    probe_id: str,
    drift_probes: int = 2,
    drift_threshold: float = 0.5,
) -> Observation:
    """The observation row for a probe: baseline, unchanged, drift or updated.

    An update is declared when (model, fingerprint) differs from the declared identity, or when
    at least `drift_threshold` of the canary outputs differ from the declared ones on
    `drift_probes` consecutive probes while (model, fingerprint) stay the same. The first probe of
    an alias (or of a new canary set) is the baseline. Once declared, the new identity is the
    reference, so later probes that see it are 'unchanged'.
    """
    row = Observation(
        observed_at=probe.observed_at,
        alias=probe.alias,
        probe_id=probe_id,
        provider=probe.provider,
        requested_model=probe.requested_model,
        served_model=probe.served_model,
        system_fingerprint=probe.system_fingerprint,
        canary_hash=probe.canary_hash,
        canary_hashes=",".join(probe.canary_hashes),
        canary_set=probe.canary_set,
        canaries=len(probe.canary_hashes),
        simulated=probe.simulated,
        status="baseline",
        latency_ms=probe.latency_ms,
        cost_usd=probe.cost_usd,
    )
    declare_new = {
        "declared_model": probe.served_model,
        "declared_fingerprint": probe.system_fingerprint,
        "declared_canary_hash": probe.canary_hash,
        "declared_canary_hashes": row.canary_hashes,
        "drift_streak": 0,
    }
    if (
        previous is None
        or previous.declared_canary_hash is None
        or previous.canary_set != probe.canary_set
    ):
        reason = None if previous is None else "new canary set or no declared identity: re-baseline"
        return row.model_copy(update={**declare_new, "status": "baseline", "reason": reason})
    keep = {
        "declared_model": previous.declared_model,
        "declared_fingerprint": previous.declared_fingerprint,
        "declared_canary_hash": previous.declared_canary_hash,
        "declared_canary_hashes": previous.declared_canary_hashes,
    }
    share = drift_share(probe.canary_hashes, previous.declared_canary_hashes)
    old = (previous.declared_model, previous.declared_fingerprint)
    new = (probe.served_model, probe.system_fingerprint)
    if new != old:
        changes = [
            f"{what} {a or '(none)'} -> {b or '(none)'}"
            for what, a, b in zip(("model", "fingerprint"), old, new, strict=True)
            if a != b
        ]
        reason = f"served identity changed: {', '.join(changes)}"
        return row.model_copy(
            update={**declare_new, "status": "updated", "reason": reason, "drift": share}
        )
    if share < drift_threshold:
        return row.model_copy(update={**keep, "status": "unchanged", "drift": share})
    streak = previous.drift_streak + 1
    if streak >= drift_probes:
        reason = (
            f"canary outputs drifted on {streak} consecutive probes ({share:.0%} of canaries "
            f"changed, threshold {drift_threshold:.0%}) while model and fingerprint stayed the same"
        )
        return row.model_copy(
            update={**declare_new, "status": "updated", "reason": reason, "drift": share}
        )
    reason = f"{share:.0%} of canary outputs changed ({streak} of {drift_probes} probes)"
    return row.model_copy(
        update={**keep, "status": "drift", "reason": reason, "drift": share, "drift_streak": streak}
    )


def error_observation(
    previous: Observation | None, alias: str, probe_id: str, observed_at: datetime, error: str
) -> Observation:
    """Row for a failed probe: the declared identity and drift streak carry over unchanged."""
    carry = (
        previous.model_dump(
            include={
                "canary_set",
                "drift_streak",
                "declared_model",
                "declared_fingerprint",
                "declared_canary_hash",
                "declared_canary_hashes",
            }
        )
        if previous
        else {}
    )
    return Observation(
        observed_at=observed_at,
        alias=alias,
        probe_id=probe_id,
        status="error",
        reason=error,
        **carry,
    )


def update_of(previous: Observation | None, row: Observation) -> ModelUpdate | None:
    """The update a row declares (None unless its status is 'updated')."""
    if row.status != "updated" or previous is None:
        return None
    return ModelUpdate(
        alias=row.alias,
        old=previous.declared,
        new=row.declared,
        reason=row.reason or "",
        simulated=row.simulated,
        observed_at=row.observed_at,
        probe_id=row.probe_id,
    )
