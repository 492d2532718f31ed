"""Privacy at rest: text retention, the right to erasure, and the at-rest check.

`retention.apply_retention` runs after each audit and replaces the detected PII and secret spans
in the lake's raw text by their placeholders, as `text_retention` says. `erase.erase`
(`llmops erase --user/--call`) plans (`plan`), records the erasure first (`record`: the
`erasures` table, never a raw id), rewrites each affected file atomically (`rewrite`), then
brings the derived tables in line with what remains (`ledgers`: batches and audits; the cost
rollups and alerts). `at_rest.find_at_rest` decodes every Parquet file under a folder and says
which given values it still holds.
"""
