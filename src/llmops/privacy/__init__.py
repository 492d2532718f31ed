"""Right to erasure: `llmops erase --user/--call` removes a user's or a call's rows from the lake.

`erase.erase` plans (`plan`), records the erasure first (`record`: the `erasures` table, never a
raw id), rewrites each affected file atomically (`rewrite`), then brings the derived tables in
line with what remains (`ledgers`: batches and audits; the cost rollups and alerts).
"""
