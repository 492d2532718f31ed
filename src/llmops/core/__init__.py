"""The bottom layer: settings, errors, offline defaults, config files, paths. Imports no other llmops package."""
