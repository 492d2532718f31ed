"""`llmops status`: spend, quality against baseline, injections, the last prompt change."""
