"""`python -m llmops.cli`: the `llmops` command."""

from llmops.cli.main import main

main()
