"""Prefect tasks: thin wrappers, one side effect each, over llmops logic."""
