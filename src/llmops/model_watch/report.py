"""The markdown of the `model-watch` artifact."""

from __future__ import annotations

from llmops.model_watch.watch import WatchResult


def _short(value: str | None) -> str:
    return value or "—"


def watch_report(result: WatchResult) -> str:
    """Status per alias, declared updates and where the answers came from."""
    lines = ["# Model watch", ""]
    if result.updates:
        lines += ["## Updates declared (llmops.model.updated)", ""]
        for u in result.updates:
            lines.append(
                f"- **{u.alias}**: {_short(u.old.model)} ({_short(u.old.fingerprint)}) → "
                f"{_short(u.new.model)} ({_short(u.new.fingerprint)}): {u.reason}"
            )
        lines.append("")
    else:
        lines += ["No model update declared.", ""]
    lines += [
        "| alias | status | served model | fingerprint | canary hash | drift | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in result.observations:
        drift = f"{o.drift:.0%}" if o.drift is not None else "—"
        note = (o.reason or "").replace("|", "/")
        lines.append(
            f"| {o.alias} | {o.status} | {_short(o.served_model)} | "
            f"{_short(o.system_fingerprint)} | {_short(o.canary_hash)} | {drift} | {note} |"
        )
    simulated = sorted(o.alias for o in result.observations if o.simulated)
    if simulated:
        lines += [
            "",
            f"Answers of {', '.join(simulated)} come from the llmops provider simulator, "
            "not a real model.",
        ]
    return "\n".join(lines) + "\n"
