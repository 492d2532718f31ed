"""The multi-format traffic simulator: 30 days of gateway/tracer log files with planted incidents."""
