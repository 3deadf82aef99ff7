"""What the core asks of a language model, whatever runs it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, AsyncIterator


class EngineError(RuntimeError):
    """Generation failed; the message says why."""


class GenerationTimeout(EngineError):
    """Generation ran past its deadline and was stopped."""


class ModelLoadError(EngineError):
    """The model file is missing or unreadable; the message names the path."""


class Superseded(EngineError):
    """A newer request for the same conversation took this one's place before it ran."""


@dataclass(frozen=True)
class Sampling:
    """Sampling for one request, in place of the engine's settings: the guard's second try differs from the first."""

    temperature: float
    seed: int | None = None
    """None: a random seed."""


@dataclass(frozen=True)
class Prompt:
    """Model input: who the bot is, the transcript, volatile notes, then the bot's turn.

    The stable parts come first so consecutive prompts share a long prefix:
    `system` stays the same and `turns` are appended to, while `notes` (one
    line that changes every turn) sits after them, where it costs only its own
    tokens. `turns` are already-rendered transcript lines (`label: text`).
    """

    system: str
    turns: tuple[str, ...]
    speaker: str
    stop: tuple[str, ...] = field(default=("\n",))
    notes: str = ""
    examples: str = ""
    """A short exchange from another chat that shows a base model what a good turn looks like;
    a chat-templated model is told in words instead, so `as_messages` leaves it out."""

    def stable_text(self) -> str:
        """The part of `as_text()` that the next turn of the conversation starts with too."""
        examples = f"{self.examples}\n\n" if self.examples else ""
        return f"{self.system}\n\n{examples}" + "".join(f"{turn}\n" for turn in self.turns)

    def as_text(self) -> str:
        """A transcript for a base model to continue as `speaker`."""
        notes = f"{self.notes}\n" if self.notes else ""
        return f"{self.stable_text()}{notes}{self.speaker}:"

    def as_messages(self) -> list[dict[str, str]]:
        """The same content for a chat-templated model."""
        transcript = "\n".join(self.turns)
        notes = f"\n\n{self.notes}" if self.notes else ""
        return [
            {"role": "system", "content": self.system},
            {
                "role": "user",
                "content": f"{transcript}{notes}\n\nWrite {self.speaker}'s next message, one line, no label.",
            },
        ]


class Engine(ABC):
    """A language model behind an async, streaming, cancellable interface."""

    @property
    @abstractmethod
    def name(self) -> str:
        """A short description of the model, for status and logs."""

    @property
    @abstractmethod
    def ready(self) -> bool:
        """True from a successful start() until close(): the health check's "model ready"."""

    @abstractmethod
    async def start(self) -> None:
        """Load the model; raise ModelLoadError with the path if it cannot."""

    @abstractmethod
    async def close(self) -> None:
        """Release the model."""

    @abstractmethod
    def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int,
        timeout: float,
        key: str | None = None,
        sampling: Sampling | None = None,
    ) -> AsyncIterator[str]:
        """Yield text pieces as they are generated.

        `sampling`, when given, replaces the engine's temperature and seed for
        this request only.

        `key` names the conversation the prompt continues (`ChannelRef.conversation`
        with its community): an engine may keep that conversation's evaluated
        prefix, and a newer request with the same key may replace a queued older
        one, which then raises Superseded. Without a key nothing is shared.
        Raises GenerationTimeout after `timeout` seconds (queue wait included);
        closing the iterator early stops the generation.
        """

    def forget(self, key: str) -> None:
        """Drop whatever the engine kept for conversation `key` (its evaluated prefix), so the next
        request reads it afresh; the drift watch does this when a conversation has pulled the bot off
        course. Engines that keep nothing per conversation (a server with its own cache) have nothing to drop."""

    async def complete_json(self, text: str, schema: dict[str, Any], *, max_tokens: int, timeout: float) -> Any:
        """Continue `text` with output constrained to JSON matching `schema`.

        Engines that cannot constrain output raise EngineError, and callers keep
        their deterministic answer (the care judge keeps stage one's label).
        """
        raise EngineError(f"{self.name} cannot constrain output to a JSON schema")
