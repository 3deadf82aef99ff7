"""Care privacy in public: what a member at risk said stays out of the model's sight and the bot's words.

Three layers, each deterministic. The transcript the model reads in a public
conversation holds a neutral placeholder where a risk message was, so it has
nothing to repeat. Output that still echoes a risk message, or talks about
suicide, self-harm or risk while someone in the room is at risk, is blocked;
so is output that names a member in care next to a care contact or next to
words about risk. And a question about who is at risk, or what someone
disclosed, never reaches the model: it gets a fixed, kind refusal.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Sequence

from groupmind.care.normalize import normalize
from groupmind.care.signals import Kind, scan
from groupmind.guard.verdict import PASS, Reason, Verdict, block
from groupmind.we.group import Group
from groupmind.we.lexicon import content_words
from groupmind.we.threads import Linked

WITHHELD = "…"
"""What the model reads in place of a risk message: no words, so no topic, question or stance comes from it."""

REFUSAL = (
    "What people share about how they're doing stays with them, so I won't repeat it or say who it was. "
    "If you're worried about someone, reach out to them yourself; that means more than anything I could sum up."
)
"""The one answer to "who is at risk?" or "what did they say?": kind, and it repeats nothing."""

_QUIET_KINDS = {Kind.TIMEFRAME, Kind.STRESSOR}
"""Signals too common in ordinary talk ("today", "lost my job") to count as talking about risk."""
_CARE_WORDS = re.compile(
    r"\b(?:at risk|care contact|struggl\w*|distress\w*|crisis|suicid\w*|self[- ]?harm\w*|safe(?:ty)?|worried about"
    r"|check(?:ing)? (?:on|in)|alert\w*|hotline|helpline|lifeline|therap\w*|vulnerable|mental health|not ok(?:ay)?"
    r"|disclos\w*|in trouble|in danger|reach out to|look after|keep an eye on|watch(?:ing)? over|support)\b",
    re.IGNORECASE,
)
"""Words that, next to a member's name, say something about their wellbeing."""
_RISK_TALK = re.compile(
    r"suicid|self[- ]?harm|\bkill\w* (?:my|your|him|her|them|one)sel(?:f|ves)\b|\bend(?:s|ing)? (?:it all|(?:my|your|his|her|their) (?:own )?life)"
    r"|\b(?:wants?|wanted|wanting) to die\b|overdos|unaliv|\bkms\b|\bat risk\b|\bin crisis\b|disclos|\bcutting (?:my|your|him|her|them)sel",
    re.IGNORECASE,
)
"""Talk about someone's risk in any person: the detector's patterns are about the speaker, these about anyone."""
SHARED_WORDS = 2
"""Content words a public reply may share with a risk message before it counts as repeating it."""

_ALWAYS = re.compile(
    r"\bwho(?:'s|s| is| are| was| were|se)?\s+(?:\w+\s+){0,3}?(?:at risk|suicidal|in crisis|self[- ]?harm\w*|in danger"
    r"|struggling|not (?:ok|okay|safe)|depressed|flagged|being (?:watched|monitored)|in care|on (?:your|the) (?:list|watch))"
    r"|\bwho (?:did|have|has) (?:you|the bot|\w+) (?:alert\w*|flag\w*|report\w*|escalat\w*|dm\w*|messag\w* privately|check\w* on)"
    r"|\bwhat did \w+ (?:disclose|confess)"
    r"|\bwhat(?:'s| is| was) in (?:the|your) (?:care )?alert",
    re.IGNORECASE,
)
"""Questions that probe care itself, whoever is in the room."""
_RETELL = re.compile(
    r"\b(?:sum(?:marize|marise)?|sum it|recap|summari[sz]e|go over|tell (?:us|me)|remind (?:us|me)|explain)\b[^?.!]{0,40}"
    r"\b(?:what|everything|all)\b[^?.!]{0,30}\b(?:said|wrote|written|shared|told|posted|happened|going on)\b"
    r"|\b(?:sum(?:marize|marise)? (?:up|it up|this up|everything)|recap|tl;?dr|summary)\b"
    r"|\b(?:repeat|quote|paste|copy|read out|list)\b[^?.!]{0,30}\b(?:message|messages|said|wrote|words|exactly|chat)\b",
    re.IGNORECASE,
)
"""A request to retell the conversation: while someone is at risk that would retell them."""
_ABOUT = (
    r"\bwhat did {n} (?:say|said|write|wrote|tell|told|share|shared|mean|post|type)\b"
    r"|\bwhat(?:'s| is| was)? {n}'?s? (?:plan|problem|issue|secret|situation|deal)\b"
    r"|\bis {n} (?:ok|okay|alright|all right|safe|suicidal|at risk|going to|gonna|serious|fine|hurt\w*)\b"
    r"|\bwhat(?:'s| is) (?:going on|up|wrong|happening) with {n}\b"
    r"|\bwhy (?:did|is|has) {n} (?:go|going|gone|talking|moved?) private"
)
"""Questions about one member's words or state, `{n}` standing for the member's name."""


def withhold(recent: Sequence[Linked], flagged: Iterable[str]) -> list[Linked]:
    """`recent` with the text of every flagged (risk) message replaced by `WITHHELD`."""
    ids = set(flagged)
    return [
        Linked(item.msg.model_copy(update={"text": WITHHELD}), item.link) if item.msg.message_id in ids else item
        for item in recent
    ]


def untopical(group: Group, member_ids: Iterable[str]) -> Group:
    """`group` without the remembered topics of members in care: keywords of a risk message stay out of the notes."""
    ids = set(member_ids) & set(group.profiles)
    if not ids:
        return group
    profiles = {k: replace(p, topics=()) if k in ids else p for k, p in group.profiles.items()}
    return replace(group, profiles=profiles)


def asks_about_care(texts: Iterable[str], *, names: Iterable[str], risk_around: bool) -> bool:
    """Whether any of `texts` asks who is at risk or what someone disclosed; while risk is around, also
    a request to retell the conversation or a question about what a member (`names`) said or how they are."""
    about = None
    if risk_around and (alternatives := "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True) if n)):
        about = re.compile(_ABOUT.format(n=f"(?:{alternatives})"), re.IGNORECASE)
    for text in texts:
        if _ALWAYS.search(text):
            return True
        if risk_around and (_RETELL.search(text) or (about is not None and about.search(text))):
            return True
    return False


def care_echo(text: str, risk_texts: Sequence[str], names: Iterable[str] = ()) -> Verdict:
    """Public text that repeats a risk message, or talks about suicide, self-harm or risk while one is recent."""
    if not risk_texts:
        return PASS
    form = normalize(text)
    if _RISK_TALK.search(text) or any(s.kind not in _QUIET_KINDS for s in scan(form)):
        return block(Reason.CARE_ECHO, "talks about risk in public while a member is at risk")
    said = set(content_words(form, names))
    said_grams = _trigrams(form)
    for risk in risk_texts:
        risk_form = normalize(risk)
        shared = said & set(content_words(risk_form, names))
        if len(shared) >= SHARED_WORDS or said_grams & _trigrams(risk_form):
            return block(Reason.CARE_ECHO, "repeats what a member at risk said")
    return PASS


def care_link(text: str, in_care: Iterable[str], contacts: Iterable[str]) -> Verdict:
    """Public text that names a member in care together with a care contact, or with words about their wellbeing."""
    named = [name for name in in_care if _names(text, name)]
    if not named:
        return PASS
    if any(_names(text, contact) for contact in contacts if contact not in named):
        return block(Reason.CARE_LINK, "names a member in care next to a care contact")
    if _CARE_WORDS.search(text):
        return block(Reason.CARE_LINK, "names a member in care next to words about risk")
    return PASS


def _names(text: str, name: str) -> bool:
    return bool(name) and re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text, re.IGNORECASE) is not None


def _trigrams(form: str) -> set[tuple[str, ...]]:
    """Word trigrams that carry at least one content word (three stopwords in a row say nothing)."""
    words = form.split()
    content = set(content_words(form))
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2) if content & set(words[i : i + 3])}
