"""The one gate for model text: every check in a fixed order, the first that fails decides.

Care checks come first: a text that both repeats a disclosure and leaks a token
is counted as a care block, so its words are never written to the audit log.
Then what the machinery leaks, who the bot claims to be, mentions, the house
rules the group taught (`norms`), what it already said, and last whether it is
about the conversation at all.
"""

from __future__ import annotations

import unicodedata

from groupmind.guard.grounding import grounded
from groupmind.guard.identity import claims_human, speaks_as_another
from groupmind.guard.leaks import control_token, junk, notes_leak, prompt_leak
from groupmind.guard.mentions import mention_run
from groupmind.guard.norms import breaks
from groupmind.guard.method import method_info
from groupmind.guard.privacy import care_echo, care_link
from groupmind.guard.scene import Scene
from groupmind.guard.similar import near_copy
from groupmind.guard.verdict import PASS, Reason, Verdict, block


def as_read(text: str) -> str:
    """`text` without invisible format characters: the output cleaner defuses `@name` and `<!...>`
    with a zero-width space, and a reader sees a run of mentions or a token all the same."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def check(text: str, scene: Scene) -> Verdict:
    """Pass `text`, or block it with the first reason that applies (judged as it reads)."""
    text = as_read(text)
    care = scene.care
    names = (*scene.speakers, scene.bot_name)
    if scene.public:
        if not (verdict := care_echo(text, care.risk_texts, names)).passed:
            return verdict
        if not (verdict := care_link(text, care.in_care, care.contacts)).passed:
            return verdict
    for verdict in (
        method_info(text, risk_around=care.risk_around, means_asked=scene.means_asked),
        control_token(text),
        junk(text),
        notes_leak(text, scene.notes),
        prompt_leak(text, scene.instructions),
        mention_run(text, scene.speakers),
        claims_human(text, scene.bot_name, scene.speakers),
        speaks_as_another(text, scene.bot_name, scene.speakers),
        breaks(text, scene.norms),
    ):
        if not verdict.passed:
            return verdict
    if not (verdict := repeats(text, scene)).passed:
        return verdict
    if scene.grounds:
        return grounded(text, scene.grounds, names, scene.grounding_min)
    return PASS


def repeats(text: str, scene: Scene) -> Verdict:
    """A near-copy of one of the bot's own latest replies, or of a message just said."""
    for index, own in enumerate(reversed(scene.own_recent), start=1):
        if near_copy(text, own):
            return block(Reason.REPEAT, f"near-copy of its reply {index} back")
    for index, said in enumerate(reversed(scene.just_said), start=1):
        if near_copy(text, said):
            return block(Reason.MIRROR, f"near-copy of the message {index} back")
    return PASS
