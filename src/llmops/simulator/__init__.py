"""Built-in OpenAI-compatible provider simulator: deterministic, grounded, with injectable faults.

Import `llmops.simulator.app.create_app` or `llmops.simulator.server.run_in_thread`; this package
imports nothing heavy itself.
"""

from llmops.simulator.config import SimulatorConfig

__all__ = ["SimulatorConfig"]
