"""Norms the group teaches: feedback about the bot becomes house rules, weighed by who gave it and when.

Three ways in, all deterministic:
- an explicit correction addressed to the bot ("Mind, stop pinging people",
  "shorter please", "we don't do politics here", "please reply in Spanish"),
  read by `corrections` over the whole family of such phrasings, and its
  opposite ("emoji are fine", "longer answers please") as a vote against;
- a reaction on one of the bot's messages (`reaction_votes`): a thumbs-down
  votes for the norms that message broke (too long, pinged people, emoji, ...),
  some emoji name the fault themselves (📏 too long, 🔕 no pings);
- a norm an admin sets or pins (`/gm norm add`, `/gm norm pin`).

Which norms hold (`in_force`): the admins' (pinned) first, always; then each
other norm by the weight of its votes, one vote per member, each fading with a
half-life, so several members outweigh one and a newer voice does not simply
win: a tie keeps the restriction (the bot errs toward what someone asked it not
to do). Where a kind takes one value (a length, a language, a tone) the pinned
value wins, else the heaviest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable, Sequence

from groupmind.events import ChatMessage
from groupmind.speak import addressed
from groupmind.store.norms import Norm, Source
from groupmind.store.state import Store
from groupmind.we.norm_text import asks, has_emoji, has_list, has_profanity, mentions_someone

NO_MENTIONS = "no_mentions"
MAX_LENGTH = "max_length"
AVOID_TOPIC = "avoid_topic"
LANGUAGE = "language"
NO_EMOJI = "no_emoji"
NO_PROFANITY = "no_profanity"
NO_LISTS = "no_lists"
NO_QUESTIONS = "no_questions"
QUIET = "quiet"
TONE = "tone"

KINDS: dict[str, str] = {
    NO_MENTIONS: "don't ping or @-mention people",
    MAX_LENGTH: "keep replies under {value} characters",
    AVOID_TOPIC: "don't bring up {value}",
    LANGUAGE: "reply in {value}",
    NO_EMOJI: "no emoji",
    NO_PROFANITY: "no swearing",
    NO_LISTS: "no lists or markdown, plain sentences",
    NO_QUESTIONS: "don't ask the group questions back",
    QUIET: "speak only when addressed",
    TONE: "keep a {value} tone",
}
"""Every kind of norm and how it reads as a house rule."""
CHECKABLE = frozenset({NO_MENTIONS, MAX_LENGTH, AVOID_TOPIC, LANGUAGE, NO_EMOJI, NO_PROFANITY, NO_LISTS, NO_QUESTIONS})
"""Kinds the guard checks on every reply (`groupmind.guard.norms`); QUIET is kept by the pipeline."""
ONE_VALUE = frozenset({MAX_LENGTH, LANGUAGE, TONE})
"""Kinds where only one value can hold at a time."""
VALUED = ONE_VALUE | {AVOID_TOPIC}
"""Kinds whose norm needs a value (a length, a language, a tone, a topic)."""

HALF_LIFE = timedelta(days=30)
"""A vote counts half after this long: feedback from last season fades, today's counts in full."""
TIE = 0.1
"""Votes against must outweigh those for by more than this to lift a norm."""
REACTION_WEIGHT = 0.5
"""A reaction is a vaguer signal than a sentence: half a vote."""

SHORTER = 200
"""The length a bare "shorter please" asks for, in characters."""
ONE_SENTENCE = 120
CHARS_PER_WORD = 6
MIN_LENGTH, MAX_LENGTH_CHARS = 40, 2_000

LANGUAGES = {
    "english": "English", "spanish": "Spanish", "español": "Spanish", "espanol": "Spanish", "castellano": "Spanish",
    "french": "French", "français": "French", "francais": "French", "german": "German", "deutsch": "German",
    "portuguese": "Portuguese", "português": "Portuguese", "italian": "Italian", "italiano": "Italian",
    "dutch": "Dutch", "nederlands": "Dutch",
}  # fmt: skip
TONES = {"casual": "casual", "informal": "casual", "relaxed": "casual", "chill": "casual", "laid-back": "casual",
         "formal": "formal", "professional": "formal", "polite": "formal", "serious": "formal"}  # fmt: skip


@dataclass(frozen=True)
class Vote:
    """What one sentence or reaction says about one norm: for it (+1) or against it (-1).

    A vote against with `value` "" is against every value of the kind ("longer please" lifts any length limit).
    """

    kind: str
    value: str = ""
    vote: int = 1


# --- reading corrections ------------------------------------------------------------------

_PLEASE = r"(?:please|pls|plz|thanks|thank you|ty|ok|okay|yeah)"
_STOP = (
    r"(?:stop|quit|cease|no more|enough(?: with)?(?: the)?|cut (?:out|down on|it with)(?: the)?|lay off(?: the)?|"
    r"(?:please |pls )?(?:do not|don't|dont|never|can you not|could you not|would you not|you don't need to|"
    r"there's no need to|no need to|try not to|avoid|refrain from)|less|fewer|drop the|ditch the|lose the|"
    r"without(?: the| any)?|no|not so many|too many|so many)"
)
_FEATURES: dict[str, str] = {
    NO_MENTIONS: r"(?:ping\w*|@-?\w*ing|@ing|mention\w*|tag\w*|notif\w*|@\s?(?:people|everyone|us|me)|at-ing)",
    NO_EMOJI: r"(?:emoji\w*|emoticon\w*|smiley\w*|smilies|the faces|emotes?)",
    NO_PROFANITY: r"(?:swear\w*|curs(?:e|es|ing)|cuss\w*|profan\w*|(?:bad|foul|rude|strong|crude|salty) language|"
                  r"obscen\w*|f-?words?|expletives?|vulgar\w*|potty mouth)",
    NO_LISTS: r"(?:bullet\w*(?: ?points?| lists?)?|(?:numbered )?lists?|markdown|formatting|headers|asterisks|"
              r"bold text|point form)",
    NO_QUESTIONS: r"(?:ask\w* (?:us |me |people |everyone |so many |all these |the group )?(?:questions?|back)|"
                  r"questions? back|(?:the |your |all the )?questions at the end|end(?:ing)? with (?:a )?questions?|"
                  r"quiz\w* us)",
}  # fmt: skip
_FEATURE_STOP = {kind: re.compile(rf"\b{_STOP}\b(?:\s+\w+){{0,3}}?\s*{pattern}", re.I) for kind, pattern in _FEATURES.items()}
_WATCH_LANGUAGE = re.compile(r"\b(?:watch|mind|clean up) (?:your|the) (?:language|mouth)\b|\bkeep it clean\b", re.I)
_ALLOW = re.compile(
    r"\b(?:you can|you may|feel free to|it's (?:ok|okay|fine) to|go ahead and|keep (?:the|using)|i like (?:the|your)|"
    r"(?<!no )(?<!any )more)\s+(?:\w+\s+){0,2}?(?P<feature>\S+(?: \S+)?)|\b(?P<subject>\S+(?: \S+)?) (?:is|are) (?:fine|ok|okay|"
    r"welcome|good|great|allowed)\b",
    re.I,
)

_TOO_LONG = re.compile(
    r"\b(?:(?:a lot |much |way |a bit |bit |little |even )?shorter|too (?:long|wordy|verbose|much text)|"
    r"so (?:long|wordy|verbose)|tl;?dr|keep (?:it|them|your (?:replies|answers|messages)) (?:short|brief|tight|snappy)|"
    r"be (?:more )?(?:brief|concise|succinct)|(?:less|fewer) (?:text|words|rambling|waffle)|stop rambling|"
    r"(?:wall|walls) of text|(?:don't|do not|stop) (?:write|writing) (?:essays|novels|so much)|"
    r"(?:in )?(?:one|a single|1) (?:sentence|line)|(?:in |to )?(?:\d|two|three|a couple of|a few) sentences|(?:under|max(?:imum)?|at most|no more than|fewer than|less than) "
    r"\d+ (?:words?|char\w*|letters?)|(?:\d+) (?:words?|char\w*) (?:max|or less|tops))\b",
    re.I,
)
_LENGTH_NUMBER = re.compile(r"(\d+)\s*(words?|char\w*|letters?)", re.I)
_LONGER = re.compile(
    r"\b(?:longer (?:answers?|replies|please)|more detail\w*|(?:write|say|tell us) more|"
    r"too (?:short|brief|terse)|elaborate (?:more|please)|(?:don't|do not) be so (?:brief|terse))\b",
    re.I,
)
_LANGUAGE_ASK = re.compile(
    r"\b(?:(?:reply|answer|write|speak|talk|respond|post|chat|say it|do it|switch)(?: to us| back)?(?: only)?"
    r"(?: in| to)|in|use|switch to|only|en)\s+(?P<lang>" + "|".join(LANGUAGES) + r")\b",
    re.I,
)
_TONE_ASK = re.compile(
    r"\b(?:(?P<less>less|not so|too|a bit less|be so|so)\s+(?P<was>formal|stiff|robotic|corporate|stuffy|casual|informal|"
    r"sloppy|flippant)|(?:more|be|sound|keep it|stay)\s+(?P<want>" + "|".join(TONES) + r"))\b",
    re.I,
)
_TONE_OF = {"formal": "casual", "stiff": "casual", "robotic": "casual", "corporate": "casual", "stuffy": "casual",
            "casual": "formal", "informal": "formal", "sloppy": "formal", "flippant": "formal"}  # fmt: skip
_QUIET = re.compile(
    r"\b(?:(?:only|just) (?:speak|talk|reply|answer|respond|chime in|post)(?: up)? (?:when|if) (?:you're |you are )?"
    r"(?:asked|addressed|spoken to|mentioned|pinged|called|tagged)|(?:stop|quit|don't|do not) (?:butting|jumping|chiming|"
    r"barging|cutting) in|(?:be quiet|pipe down|shush|hush|stay out of (?:it|this|our conversations?)|"
    r"(?:stop|quit) interrupting|wait (?:until|till) (?:you're |you are )?(?:asked|called))|"
    r"(?:don't|do not) (?:reply|answer|respond|speak|talk) (?:unless|until) (?:you're |you are )?"
    r"(?:asked|addressed|spoken to|mentioned|called))\b",
    re.I,
)
_TOPIC = re.compile(
    r"\b(?:we (?:don't|do not|dont) (?:do|discuss|talk about|talk|get into|go into)|"
    r"(?:please )?(?:don't|do not|dont|never|stop|quit|no more) (?:talk\w*|bring\w* up|mention\w*|discuss\w*|"
    r"get\w* into|going on about|go on about|rant\w* about|post\w* about)(?: about)?|"
    r"avoid (?:talking about |discussing )?|no(?=\s+\S+(?: \S+)? (?:talk|here|in here|please|allowed|topics?)\b)|"
    r"(?:let's|lets) not (?:talk about|discuss|get into)|enough (?:about|with)(?: the)?|"
    r"(?:can|could) (?:you|we) not (?:talk about|discuss)|(?:is|are) off[- ]topic here:?)"
    r"\s+(?P<topic>[^.,!?;:]{2,40})"
    r"|\b(?:keep|leave) (?P<kept>[^.,!?;:]{2,30}?) out of (?:it|this|here|the chat|the channel|the group)\b",
    re.I,
)
_TOPIC_TAIL = re.compile(
    r"\s+(?:here|in here|please|pls|anymore|any more|again|talk|topics?|stuff|things|allowed|in this (?:chat|channel|group)|"
    r"with us|ok|okay|thanks|mind|either|at all|now)\b.*$",
    re.I,
)
_NOT_TOPICS = re.compile(
    r"^(?:that|this|it|so|me|us|them|you|like that|yourself|the same|anything|everything|over|back|about|to|"
    r"for|with|when|if|because|unless|until)\b",
    re.I,
)


def is_correction_to_bot(msg: ChatMessage, recent: Sequence[ChatMessage], bot_name: str) -> bool:
    """Whether `msg` can teach the bot: it addresses the bot, or the bot spoke just before it.

    "we don't do politics here" said right after the bot's reply is about that reply;
    said between two members, an hour after the bot last spoke, it is theirs.
    """
    if msg.author_is_bot:
        return False
    if addressed(msg, bot_name):
        return True
    before = [m for m in recent if m.message_id != msg.message_id][-3:]
    return any(m.author_is_bot for m in before)


def _length_limit(text: str) -> str:
    """The character limit a "shorter" asks for, as the norm's value."""
    if found := _LENGTH_NUMBER.search(text):
        count, unit = int(found[1]), found[2].casefold()
        chars = count * CHARS_PER_WORD if unit.startswith("word") else count
        return str(max(MIN_LENGTH, min(MAX_LENGTH_CHARS, chars)))
    if re.search(r"\b(?:one|a single|1) (?:sentence|line)\b", text, re.I):
        return str(ONE_SENTENCE)
    if found := re.search(r"\b(\d|two|three|a couple of|a few) sentences\b", text, re.I):
        count = {"two": 2, "three": 3, "a couple of": 2, "a few": 3}.get(found[1].casefold()) or int(found[1])
        return str(max(MIN_LENGTH, min(MAX_LENGTH_CHARS, count * ONE_SENTENCE)))
    return str(SHORTER)


def _topic(raw: str) -> str:
    """The topic a "don't talk about X" names, folded ("" when it names none)."""
    topic = _TOPIC_TAIL.sub("", raw.strip()).strip(" \"'`*_")
    topic = re.sub(r"^(?:the|any|about|all the|all that|your|this|that|these|those)\s+", "", topic, flags=re.I)
    words = topic.split()
    if not words or len(words) > 3 or _NOT_TOPICS.match(topic):
        return ""
    for kind_pattern in _FEATURES.values():
        if re.fullmatch(kind_pattern, topic, re.I):
            return ""  # "don't talk about pinging" is the feature, read elsewhere
    return " ".join(w.casefold() for w in words)[:40]


def _allowed(text: str) -> list[Vote]:
    """Votes against norms the text explicitly allows ("emoji are fine", "you can ping me")."""
    votes: list[Vote] = []
    for found in _ALLOW.finditer(text):
        phrase = found["feature"] or found["subject"] or ""
        for kind, pattern in _FEATURES.items():
            if re.search(rf"\b{pattern}", phrase, re.I):
                votes.append(Vote(kind, "", -1))
    return votes


def corrections(text: str) -> list[Vote]:
    """Every norm one message asks for or against, in the order of kinds; [] when it asks nothing.

    Deterministic and cheap: it runs on every message addressed to the bot.
    """
    votes = _allowed(text)
    allowed = {v.kind for v in votes}
    for kind, pattern in _FEATURE_STOP.items():
        if kind not in allowed and pattern.search(text):
            votes.append(Vote(kind))
    if NO_PROFANITY not in allowed and NO_PROFANITY not in {v.kind for v in votes} and _WATCH_LANGUAGE.search(text):
        votes.append(Vote(NO_PROFANITY))
    if _LONGER.search(text):
        votes.append(Vote(MAX_LENGTH, "", -1))
    elif _TOO_LONG.search(text):
        votes.append(Vote(MAX_LENGTH, _length_limit(text)))
    if found := _LANGUAGE_ASK.search(text):
        votes.append(Vote(LANGUAGE, LANGUAGES[found["lang"].casefold()]))
    if found := _TONE_ASK.search(text):
        tone = _TONE_OF[found["was"].casefold()] if found["was"] else TONES[found["want"].casefold()]
        votes.append(Vote(TONE, tone))
    if _QUIET.search(text):
        votes.append(Vote(QUIET))
    taken = {v.kind for v in votes}
    for found in _TOPIC.finditer(text):
        topic = _topic(found["kept"] or found["topic"])
        if topic and not _names_feature(topic, taken):
            votes.append(Vote(AVOID_TOPIC, topic))
    return list(dict.fromkeys(votes))


def _names_feature(topic: str, kinds: Iterable[str]) -> bool:
    """Whether a "topic" is really a feature already read ("no emoji please" is not the topic "emoji")."""
    return any(re.search(rf"\b{_FEATURES[k]}", topic, re.I) for k in kinds if k in _FEATURES) or bool(
        re.search(r"\b(?:ping|emoji|swear|list|bullet|question|language|formal|casual|long|short)", topic, re.I)
    )


# --- reading reactions ---------------------------------------------------------------------

DISAPPROVE = frozenset({"👎", "😠", "😡", "🙄", "😒", "😤", "🤦", "🤨", "❌", "🚫", "-1", "thumbsdown",
                        "angry", "rage", "face_with_rolling_eyes", "unamused", "facepalm", "x", "no_entry_sign"})  # fmt: skip
APPROVE = frozenset({"👍", "❤️", "❤", "😂", "🙏", "💯", "🎉", "+1", "thumbsup", "heart", "joy", "pray", "100", "tada"})
NAMED: dict[str, str] = {
    "📏": MAX_LENGTH, "😴": MAX_LENGTH, "💤": MAX_LENGTH, "straight_ruler": MAX_LENGTH, "sleeping": MAX_LENGTH,
    "zzz": MAX_LENGTH, "🔕": NO_MENTIONS, "no_bell": NO_MENTIONS, "🤐": QUIET, "🙊": QUIET, "zipper_mouth_face": QUIET,
    "speak_no_evil": QUIET, "🧼": NO_PROFANITY, "soap": NO_PROFANITY,
}  # fmt: skip
"""Emoji that name a fault themselves, whatever else the message did."""

LONG = 300
"""A reply longer than this many characters reads as long to a reaction."""


def features(text: str) -> dict[str, str]:
    """What one of the bot's messages did that a member may react to: kind -> the norm's value."""
    found: dict[str, str] = {}
    if len(text) > LONG:
        found[MAX_LENGTH] = str(SHORTER)
    if mentions_someone(text):
        found[NO_MENTIONS] = ""
    if has_emoji(text):
        found[NO_EMOJI] = ""
    if has_profanity(text):
        found[NO_PROFANITY] = ""
    if has_list(text):
        found[NO_LISTS] = ""
    if asks(text):
        found[NO_QUESTIONS] = ""
    return found


def reaction_votes(emoji: str, text: str) -> list[Vote]:
    """What a reaction on a bot message with `text` says: for or against the norms that message touched."""
    key = emoji.strip().strip(":").casefold()
    did = features(text)
    if key in NAMED:
        kind = NAMED[key]
        return [Vote(kind, did.get(kind, str(SHORTER) if kind == MAX_LENGTH else ""))]
    if key in DISAPPROVE or emoji in DISAPPROVE:
        return [Vote(kind, value) for kind, value in did.items()]
    if key in APPROVE or emoji in APPROVE:
        return [Vote(kind, "", -1) for kind in did]
    return []


# --- which norms hold ---------------------------------------------------------------------


def strength(norm: Norm, now: datetime) -> tuple[float, float]:
    """(for, against): the faded weight of the votes for and against `norm`, one per member."""
    pro = con = 0.0
    for source in norm.sources:
        age = max(0.0, now.timestamp() - source.ts)
        weight = source.weight * 0.5 ** (age / HALF_LIFE.total_seconds())
        if source.vote > 0:
            pro += weight
        else:
            con += weight
    return pro, con


def holds(norm: Norm, now: datetime) -> bool:
    """A pinned norm always holds; another when its votes for are not outweighed (by more than TIE)."""
    if norm.pinned:
        return True
    pro, con = strength(norm, now)
    return pro > 0 and pro + TIE >= con


def in_force(norms: Iterable[Norm], now: datetime) -> list[Norm]:
    """The norms the bot follows now: admins' first, then the group's weight; one value per ONE_VALUE kind."""
    held = [n for n in norms if holds(n, now)]
    chosen: dict[str, Norm] = {}
    for norm in held:
        if norm.kind not in ONE_VALUE:
            chosen[norm.key] = norm
            continue
        rival = chosen.get(norm.kind)
        if rival is None or _outranks(norm, rival, now):
            chosen[norm.kind] = norm
    return sorted(chosen.values(), key=lambda n: (not n.pinned, list(KINDS).index(n.kind), n.value))


def _outranks(norm: Norm, rival: Norm, now: datetime) -> bool:
    """Of two values of one kind: an admin's over the group's, the admins' latest, else the heavier net vote."""
    if norm.pinned != rival.pinned:
        return norm.pinned
    if norm.pinned:
        return norm.pinned_at > rival.pinned_at
    return net(norm, now) > net(rival, now)


def net(norm: Norm, now: datetime) -> float:
    pro, con = strength(norm, now)
    return pro - con


def describe(norm: Norm) -> str:
    """A norm as a house rule, for the prompt and for /gm norms."""
    return KINDS[norm.kind].format(value=norm.value)


def house_rules(norms: Sequence[Norm]) -> str:
    """The norms in force as one short line of house rules for the prompt ("" when none)."""
    return "; ".join(describe(n) for n in norms)


def find(norms: Iterable[Norm], kind: str) -> Norm | None:
    return next((n for n in norms if n.kind == kind), None)


# --- the book of a community ---------------------------------------------------------------


class NormBook:
    """Reads feedback into the store's norms and says which hold, for every community.

    Args:
        store: the shared state (its `norms` repository and opt-outs).
        bot_name: the bot's name, to tell a correction addressed to it.
        clock: what time it is (a script's clock in the local room).
    """

    def __init__(self, store: Store, bot_name: str, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.bot_name = bot_name
        self.clock = clock

    async def hear(self, msg: ChatMessage, recent: Sequence[ChatMessage]) -> list[Vote]:
        """Record the corrections in a member's message to the bot; returns the votes kept."""
        if not is_correction_to_bot(msg, recent, self.bot_name):
            return []
        votes = corrections(msg.text)
        if votes and not await self.store.settings.is_opted_out(msg.platform, msg.community, msg.author_id):
            source = Source(msg.author_id, msg.platform, msg.message_id, msg.ts.timestamp())
            await self.record(msg.platform, msg.community, votes, source)
            return votes
        return []

    async def react(self, platform: str, community: str, votes: Sequence[Vote], source: Source) -> list[Vote]:
        """Record the votes a reaction makes (at REACTION_WEIGHT), unless its member opted out."""
        if not votes or await self.store.settings.is_opted_out(platform, community, source.member_id):
            return []
        weak = Source(source.member_id, source.platform, source.message_id, source.ts, 1, REACTION_WEIGHT)
        await self.record(platform, community, votes, weak)
        return list(votes)

    async def record(self, platform: str, community: str, votes: Sequence[Vote], source: Source) -> None:
        """Add each vote as its member's one vote on its norm; a vote against with no value goes to every value."""
        book = {n.key: n for n in await self.store.norms.all(platform, community)}
        changed: dict[str, Norm] = {}
        for vote in votes:
            signed = Source(source.member_id, source.platform, source.message_id, source.ts, vote.vote, source.weight)
            if vote.vote < 0 and not vote.value:
                targets = [n for n in book.values() if n.kind == vote.kind]
                if not targets and vote.kind not in VALUED:
                    targets = [Norm(vote.kind, "", created=source.ts)]  # kept, to weigh a later "no emoji"
            else:
                targets = [book.get(f"{vote.kind}:{vote.value}") or Norm(vote.kind, vote.value, created=source.ts)]
            for norm in targets:
                updated = norm.with_vote(signed)
                book[updated.key] = changed[updated.key] = updated
        if changed:
            await self.store.norms.put(platform, community, *changed.values())

    async def in_force(self, platform: str, community: str, now: datetime | None = None) -> list[Norm]:
        return in_force(await self.store.norms.all(platform, community), now or self.clock())
