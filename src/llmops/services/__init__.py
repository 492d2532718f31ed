"""Local processes llmops starts and stops: Prefect and MLflow servers, the worker, the simulator, uvicorn threads."""
