"""Reading a member's private reply: what it does decides what care answers (several phrasings per move)."""

from __future__ import annotations

import pytest

from groupmind.care.replies import HelpKind, Move, read, reflect

READS = {
    Move.UNSAFE: ["I'm not safe right now", "i dont feel safe with myself tonight", "i can't keep myself safe",
                  "i have a plan", "it's decided", "got the pills right here next to me", "holding the knife in my hand",
                  "i have them in front of me and i think tonight", "they're right here next to me"],
    Move.METHOD: ["how many of my pills would it take", "what's the lethal dose of tylenol", "what is the LD50 of that",
                  "what's the most painless way", "can you help me write a goodbye letter", "help me draft a suicide note",
                  "how high does a bridge need to be to die"],
    Move.STOP: ["stop messaging me", "leave me alone", "please stop", "go away", "don't message me again",
                "i don't want to talk to you"],
    Move.SECRECY: ["is this just between us?", "will you tell the mods?", "is this private?", "who can see this?",
                   "don't tell anyone ok?", "keep this a secret", "do the admins see this"],
    Move.YES: ["yes", "yeah", "yep, a lot", "honestly yes", "i am", "all the time"],
    Move.MAYBE: ["maybe", "idk", "i don't know", "sort of", "sometimes", "kinda"],
    Move.NO: ["no", "nope", "not really", "no, nothing like that", "i'm not", "no. please don't tell anyone", "not now"],
    Move.CONCERN: ["i'm worried about my son, he said he wants to die", "my best friend keeps posting goodbye messages",
                   "scared for my partner, she's been cutting again", "how can i help my sister?",
                   "my daughter told me she wants to kill herself"],
    Move.REPEAT: ["you already said that", "you're repeating yourself", "you sound like a robot", "are you even listening"],
    Move.OTHER: ["thanks", "work has been awful", "i can't stop crying", "asking for a friend, my friend wants to die",
                 "my friends are right here with me", "i think tomorrow i'll call my therapist"],
}


@pytest.mark.parametrize(("move", "text"), [(m, t) for m, texts in READS.items() for t in texts])
def test_each_move_is_read_in_several_phrasings(move: Move, text: str) -> None:
    assert read(text).move is move


@pytest.mark.parametrize(("text", "kind"), [
    ("can you help me make a plan for bad nights?", HelpKind.PLAN), ("could we make a safety plan", HelpKind.PLAN),
    ("should i call my therapist?", HelpKind.CLINICIAN), ("can i tell my doctor about this?", HelpKind.CLINICIAN),
    ("what would happen if i went to the ER?", HelpKind.EMERGENCY_ROOM),
    ("should i go to the hospital", HelpKind.EMERGENCY_ROOM),
    ("i need help", HelpKind.ANY), ("who can i talk to?", HelpKind.ANY), ("what should i do", HelpKind.ANY),
])  # fmt: skip
def test_asking_for_help_is_read_with_what_kind(text: str, kind: HelpKind) -> None:
    assert read(text).move is Move.HELP and read(text).help is kind


@pytest.mark.parametrize(("text", "unsafe"), [
    ("yes", True), ("yeah i have pills saved", True), ("tonight", True), ("there's a rope in the garage", True),
    ("no", False), ("no plan, just thoughts", False), ("no, but i have pills", True),
])  # fmt: skip
def test_after_the_bot_asked_about_a_plan_means_or_a_time_are_a_plan(text: str, unsafe: bool) -> None:
    assert (read(text, after_probe=True).move is Move.UNSAFE) is unsafe


@pytest.mark.parametrize(("text", "line"), [
    ("work has me exhausted", "It sounds like work has left you feeling exhausted."),
    ("i just feel so alone", "It sounds like you're feeling really alone."),
    ("money stuff and rent", "It sounds like money has been a lot to carry."),
    ("hmm", "Thank you for telling me that."),
])  # fmt: skip
def test_a_reflection_uses_only_the_members_own_feeling_or_topic(text: str, line: str) -> None:
    assert reflect(text) == line
