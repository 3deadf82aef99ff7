"""The bot is an AI member under its own name: it never passes for a person, or speaks as one.

A base model continuing a group chat takes on whatever voice the transcript
suggests: "I'm Sarah, I'm new here", "as a mom of two", or the next line of
another member. Each of these is a claim the bot must not make.
"""

from __future__ import annotations

import re
from typing import Iterable

from groupmind.guard.verdict import PASS, Reason, Verdict, block

_I = r"(?:i'?m|i\s+am|im)"
HUMAN = re.compile(
    rf"\b{_I}\s+(?:(?!not\b|no\b|never\b|an?\s+ai\b|the\b|your\b|their\b|his\b|her\b|our\b|that\b|this\b|every\b|any\b|some\b|to\b|you\b)[\w-]+\s+){{0,3}}?(?:human(?:\s+being)?|person|people person"
    r"|guy|girl|man|woman|dude|lady|boy|mom|mum|dad|mother|father|wife|husband|teenager|kid|student|nurse|doctor"
    r"|teacher|engineer|developer|programmer|volunteer|moderator|admin|counsel+or|therapist)\b"
    rf"|\b{_I}\s+(?:now|actually|really|just|basically|literally|officially)\s+(?:a|an)\s+(?:[\w-]+\s+){{0,3}}?(?:human|person"
    r"|guy|girl|man|woman|mom|mum|dad|teenager|student|nurse|doctor|teacher|engineer|developer|programmer)\b"
    rf"|\b{_I}\s+not\s+(?:a|an)\s+(?:ai|bot|robot|machine|program|chatbot|language model|computer)\b"
    r"|\bnot\s+(?:a|an)\s+(?:ai|bot|robot|chatbot)\b,?\s+(?:i'?m|just)\b"
    rf"|\b{_I}\s+(?:now\s+|actually\s+|really\s+|just\s+|basically\s+|literally\s+)?(?:a\s+|an\s+)?(?:\d{{1,3}}|twenty|thirty|forty|fifty|sixty)[\s-]*(?:years?|yrs?|yo)\b"
    r"|\bmy\s+age\s+is\b|\bi\s+turned\s+\d+"
    rf"|\b{_I}\s+new\s+here\b|\bjust\s+joined\b|\bnew\s+(?:member|to\s+(?:this|the)\s+(?:group|chat|server))\b"
    r"|\bas\s+a\s+(?:human|person|mom|mum|dad|parent|woman|man)\b|\bwe\s+humans\b|\bfellow\s+human\b"
    r"|\bmy\s+(?:wife|husband|boyfriend|girlfriend|kids?|son|daughter|mom|mum|dad|mother|father|parents|brother"
    r"|sister|grandma|grandpa|body|apartment|house|flat|hometown|childhood)\b"
    r"|\bi\s+(?:live|grew\s+up|was\s+born|went\s+to\s+school)\s+(?:in|at|near|on)\b|\bwhere\s+i\s+live\b"
    r"|\bwhen\s+i\s+was\s+(?:a\s+kid|little|young|younger|in\s+school)\b"
    r"|\bi\s+(?:work|worked)\s+(?:as|at|for)\b"
    r"|\bi\s+(?:ate|slept|woke\s+up|showered|drove|walked\s+my)\b",
    re.IGNORECASE,
)
"""A first-person claim to be, or to live like, a person."""

_NAME = r"[A-Z][a-z'-]{1,31}"
_NAMED = re.compile(
    r"(?i:\b(?:my\s+(?:real\s+|actual\s+|full\s+|first\s+|human\s+|true\s+)?name(?:'s|\s+is)|call\s+me|name's|they\s+call\s+me|you\s+can\s+call\s+me))\s+@?\u200b?(?P<name>\[[^\]]{1,32}\]|<[^>]{1,32}>|[^\W\d_][\w'-]{1,31})"
    rf"|(?i:\b{_I})\s+(?P<cap>{_NAME})\b"
    rf"|^\s*(?i:(?:hi|hey|hello)[\s,!]+(?:it'?s|this\s+is|i'?m))\s+(?P<intro>{_NAME})\b"
    rf"|(?i:\b(?:it'?s|this\s+is))\s+(?P<signed>{_NAME})\s+here\b"
    rf"|^\s*(?P<here>{_NAME})\s+here(?=\s*[,.!:;-]|\s*$)",
    re.MULTILINE,
)
"""A name the speaker gives themselves: "my name is X", "I'm X", "this is X", "X here"."""

NOT_NAMES = frozenset(
    """a an the ai not so sorry glad happy here just really also still sure fine good okay ok well always back able
    excited thinking trying looking working doing very only afraid curious new going gonna getting feeling honestly
    actually totally pretty quite kind bot assistant ready listening around there with on in at all your yours
    it this that what everyone everybody someone somebody nobody none one thanks thank hi hey hello great yes no
    tired busy free done late still right wrong lost confused learning interested anyone anybody people folks we
    they you who more nothing something everything i'm it's that's we're you're who's he's she's""".split()
)
"""Words that follow "I'm" or "this is" with a capital letter without being a name."""

_LINE_AS = re.compile(r"(?:^|(?<=[.!?…]\s)|(?<=\s[-–—]\s))\s*(?P<name>[A-Za-z][\w '|-]{0,31}?)\s*:\s+\S")
"""A `name: text` turn at the start of the text or of a sentence."""

NOT_SPEAKERS = frozenset(
    "note edit update tip ps p.s answer question example warning summary tl;dr tldr step fix error output "
    "usage result hint info source link reason problem solution".split()
)
"""Words that open a line with a colon without being someone's name."""


def _same(a: str, b: str) -> bool:
    return a.casefold().strip() == b.casefold().strip()


def claims_human(text: str, bot_name: str, speakers: Iterable[str] = ()) -> Verdict:
    """A claim to be a person, to be one of the members (`speakers`), or to have a name other than the bot's."""
    if found := HUMAN.search(text):
        return block(Reason.IDENTITY, f"claims to be human: {found.group(0)!r}")
    members = "|".join(re.escape(s) for s in sorted(set(speakers), key=len, reverse=True) if s and not _same(s, bot_name))
    if members and (found := re.search(rf"\b{_I}\s+(?:{members})(?![\w'-])", text, re.IGNORECASE)):
        return block(Reason.IDENTITY, f"claims to be a member: {found.group(0)!r}")
    for found in _NAMED.finditer(text):
        name = next(v for v in found.groupdict().values() if v)
        if _same(name, bot_name) or name.casefold() in NOT_NAMES:
            continue
        return block(Reason.IDENTITY, f"gives itself the name {name!r}")
    return PASS


def speaks_as_another(text: str, bot_name: str, speakers: Iterable[str]) -> Verdict:
    """A line written as a member (`ana: ...`), or as any named speaker, inside the bot's turn."""
    members = {s.casefold() for s in speakers}
    for found in _LINE_AS.finditer(text):
        name = found["name"].strip()
        folded = name.casefold()
        if _same(name, bot_name) or folded in NOT_SPEAKERS:
            continue
        if folded in members or (found.start() == 0 and name[:1].isupper() and " " not in name):
            return block(Reason.IMPERSONATION, f"writes a line as {name!r}")
    return PASS
