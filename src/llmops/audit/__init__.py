"""The guardrail audit of llm_calls batches: scan, format checks, judge tier, summary, report."""
