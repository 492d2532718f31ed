"""Guardrail detectors (PII, secrets, injection, toxicity, leakage, format): pure logic.

`scan.scan_frame` runs them over a frame of calls; `spans` finds, masks and scrubs PII and secret
spans in texts.
"""
