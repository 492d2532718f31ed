"""llmops: a self-hosted LLMOps pipeline built as Prefect flows."""
