"""Built-in OpenAI-compatible provider simulator: deterministic, grounded, with injectable faults.

Import `llmops.simulators.provider.app.create_app` or `llmops.simulators.provider.server.run_in_thread`; this package
imports nothing heavy itself.
"""

from llmops.simulators.provider.config import SimulatorConfig

__all__ = ["SimulatorConfig"]
