"""Eval runs: generation, metric suites, baseline comparison and the gate."""
