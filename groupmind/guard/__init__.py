"""The guard: every text the model writes is checked before anyone sees it, and the bot watches itself for drift.

`gate.check` is the one gate (care privacy, method information, identity,
leaks, mentions, repetition); `write` generates a reply through it with one
second try; `privacy` keeps risk messages out of the model's sight; `drift`
measures the bot's own replies per conversation and corrects it.
"""

from groupmind.guard.gate import check
from groupmind.guard.scene import CareView, Scene
from groupmind.guard.service import Guard
from groupmind.guard.verdict import PASS, Reason, Verdict

__all__ = ["PASS", "CareView", "Guard", "Reason", "Scene", "Verdict", "check"]
