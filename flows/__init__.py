"""Prefect flows: orchestration only, one module per pipeline."""
