"""`llmops demo`: every pipeline on simulated traffic, then the prompt-merge and model-update paths."""
