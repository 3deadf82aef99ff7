"""Language models behind one async interface."""

from groupmind.llm.engine import Engine, EngineError, GenerationTimeout, ModelLoadError, Prompt, Sampling, Superseded
from groupmind.llm.local import LocalEngine
from groupmind.llm.remote import RemoteEngine

__all__ = [
    "Engine",
    "EngineError",
    "GenerationTimeout",
    "LocalEngine",
    "ModelLoadError",
    "Prompt",
    "RemoteEngine",
    "Sampling",
    "Superseded",
]
