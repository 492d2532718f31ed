"""The guardrail benchmarks run: each function the summary table and the throughput run call,
on small inputs (a bench that crashes is only noticed when somebody runs it by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(autouse=True)
def bench_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # the scripts import each other as top-level modules


def test_accuracy_summary_rows_are_computed_and_printed(capsys: pytest.CaptureFixture) -> None:
    import guardrail_accuracy as ga

    precision, recall = ga.phone_check_figures()
    assert 0.5 < precision <= 1.0 and 0.5 < recall <= 1.0
    goals = ga.injection_goals() + ga.toxicity_goals()
    assert [g.detector for g in goals[:2]] == [
        "injection, deepset-style (en/de)",
        "injection, jailbreak-style",
    ]
    assert all("held-back" in g.data for g in goals[:2]) and len(goals) == 3
    ga.print_summary(goals)
    out = capsys.readouterr().out
    assert "| detector | held-back data | figure | goal | met |" in out
    assert out.count("\n| injection") == 2


def test_throughput_real_mix_and_its_phases_run() -> None:
    import guardrail_throughput as gt

    df = gt.make_real_records(gt.PUBLIC)
    assert df.height > 3000 and df["input_text"].null_count() == 0
    small = df.head(40)
    row = gt.time_scan("whole scan", small, None)
    assert row["texts_per_s"] > 0
    stages = gt.injection_stages(small["input_text"])
    assert stages["distinct"] > 0
    assert stages["encoder_texts"] + stages["settled_texts"] <= stages["full_texts"]
