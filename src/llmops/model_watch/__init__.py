"""Model watch: canary probes per model alias, served identity in the lake, update detection.

Logic only (no Prefect): `probe.probe_alias` sends the canaries, `detect.decide` compares an
observation with the alias' last declared identity, `store` reads and writes `model_versions`.
"""
