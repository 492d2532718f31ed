"""Signed Git host webhook receiver: merged prompt changes become `llmops.prompt.merged` events."""
