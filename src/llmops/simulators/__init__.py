"""Simulated producers for the demo, tests and benchmarks: the LLM provider, traffic logs, feedback."""
