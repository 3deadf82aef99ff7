"""Language models behind one async interface."""

from groupmind.llm.engine import Engine, EngineError, GenerationTimeout, ModelLoadError, Prompt
from groupmind.llm.local import LocalEngine

__all__ = ["Engine", "EngineError", "GenerationTimeout", "LocalEngine", "ModelLoadError", "Prompt"]
