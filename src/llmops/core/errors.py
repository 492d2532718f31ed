"""Errors that name what is wrong and where (file, line, field)."""


class LlmopsError(Exception):
    """Base class for errors llmops reports to the user as they are."""


class IngestError(LlmopsError):
    """A log file that cannot be read at all (the message names the file)."""


class ConfigError(LlmopsError):
    """A configuration file (prices, budgets, settings) that is invalid."""
