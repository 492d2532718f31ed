"""The live collector: OTLP/HTTP, Langfuse, LiteLLM and feedback intake into a durable spool,
rotated into batch files the ingest path reads (see docs/collector.md)."""
