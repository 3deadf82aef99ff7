"""A bot's name calls it only where a person would read a call; as an ordinary word it does not."""

from __future__ import annotations

import pytest

from groupmind.speak import addressed
from groupmind.vocative import calls
from tests.helpers import msg

CALLS = {
    "Mind": [
        "Mind, what do you think?", "mind what do you think", "hey mind", "thanks mind!", "ok mind, go",
        "what do you think, Mind?", "what do you think Mind?", "@Mind what now", "@mind", "any ideas @mind",
        "Mind can you help me with my bike", "Mind?", "Mind", "thank you mind", "good morning Mind!",
        "Mind tell me a joke", "mind what's the plan", "thanks, Mind, that helped", "I don't mind. Mind, and you?",
        "hey Mind I have a question", "so mind, thoughts?", "MIND: hello",
        "Ｍｉｎｄ, hi", "𝐌𝐢𝐧𝐝: hi", "Міnd, hi", "Mi\u200bnd, hi", "hey 𝐦𝐢𝐧𝐝",
        "Mind — what do you reckon?", "Mind - thoughts?", "hey there Mind", "Mind how do I boil an egg",
        "Mind where is the nearest pharmacy", "mind is it going to rain?", "Mind can I ask something",
        "Mind any thoughts?", "how are you Mind?", "how have you been Mind?", "are you there Mind?",
        "Dear Mind, hello", "Over to you, Mind.", "@Mind's take?", "can you help us mind", "Mind!!!",
        "MIND WHAT DO YOU THINK",
    ],
    "Sage": ["Sage, any ideas?", "hey sage", "sage can you recap", "@Sage recap please", "thoughts, Sage?"],
    "Will": ["Will, can you help?", "hey will", "@will what now", "@Will"],
    "Echo": ["echo, are you there?", "thanks echo", "Echo: status"],
    "Bot": ["bot what time is it?", "hey bot", "Bot, summarize", "@bot ping", "can you help me bot"],
    "Group Mind": ["Group Mind, hi", "hey group mind"],
}
WORDS = {
    "Mind": [
        "I don't mind", "never mind", "Never mind, found it", "mind you, it was late", "keep in mind the deadline",
        "that was mind-blowing", "peace of mind", "state of mind", "to my mind it's fine", "mind the step",
        "Mind the gap", "mind your language", "I asked Mind yesterday and it said no", "Mind's answer was good",
        "mindful", "do you mind?", "would you mind?", "never mind?", "what's on your mind?", "mind if I join?",
        "mind how you go", "mind what you say", "email me at me@mind.org", "Mind said earlier it would rain",
        "Mind is slow today", "did you ask Mind?", "I don't mind at all", "ok mind the gap", "masterMind",
        "she said never mind and left", "Ben, do you mind?", "great minds think alike", "", "   ",
        "Would you mind passing the salt?", "Mind blowing stuff", "It's all in the mind", "Make up your mind!",
        "change of mind?", "out of sight, out of mind.", "Mind over matter", "mind the kids for me?",
        "Never mind. What's for dinner?", "I changed my mind", "lost my mind lol", "ok never mind", "nevermind",
        "Don't lose your Mind!", "What a Mind.", "Mind told me to rest", "Mind thinks we should go",
        "Mind helped me yesterday", "I like Mind", "Thanks to Mind we booked", "Is Mind down?", "where is Mind?",
        "I'll ask Mind", "is that Mind?", "if you don't mind", "do you mind if I sit?", "mind you're late",
    ],
    "Sage": ["sage advice from Ben", "add sage to the pasta", "I love sage", "sage and thyme"],
    "Will": [
        "will you come tonight?", "I will help", "will do", "where there's a will", "Will is my cousin's name",
        "Will Smith was great", "I will.", "you will?", "free will", "will it rain tomorrow?",
    ],
    "Echo": ["echo chamber", "there was an echo", "echo the sentiment"],
    "Bot": ["the bot is broken", "Bot is broken again", "a chat bot"],
    "Group Mind": ["the group mind is strange", "group minded"],
}


@pytest.mark.parametrize(("name", "text"), [(n, t) for n, texts in CALLS.items() for t in texts])
def test_a_call(name: str, text: str) -> None:
    assert calls(text, name)


@pytest.mark.parametrize(("name", "text"), [(n, t) for n, texts in WORDS.items() for t in texts])
def test_the_word_or_a_third_person(name: str, text: str) -> None:
    assert not calls(text, name)


def test_the_policy_reads_calls_not_words() -> None:
    assert addressed(msg("ana", "never mind"), "Mind") == ""
    assert addressed(msg("ana", "@Mind where is the station"), "Mind") == "named by ana"
    assert addressed(msg("ana", "never mind", reply_to_bot=True), "Mind") == "ana replied to the bot"
    assert addressed(msg("ana", "I don't mind", mentions_bot=True), "Mind") == "mentioned by ana"


def test_hostile_and_huge_text_is_read_quickly_and_never_calls_by_accident() -> None:
    assert not calls("mind " * 20_000, "Sage")
    assert calls("x " * 20_000 + ", Sage?", "Sage")
    assert not calls("\x00\u202e never mind \ufeff", "Mind") and not calls("@", "Mind") and not calls("Mind", "")
