"""What a member's private reply to the bot is doing, so care can answer what they actually said.

A care talk is not a fixed script: after the direct question a member may say
yes, maybe or no; ask how a method works; ask whether this stays private; ask
for help, a plan, or what the emergency room is like; tell the bot to stop or
that it repeats itself; or worry about someone else. `read` names that move
(deterministic rules on the text, in the order below), and `reflect` finds the
one line that shows the bot heard the rest. The protocol machine decides what
each move leads to; stage one (`signals`) still decides how serious it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Move(str, Enum):
    """What a private reply does, most urgent first."""

    UNSAFE = "unsafe"  # "I'm not safe", or a plan, means or a time after the bot asked about them
    METHOD = "method"  # asks about a method, a dose, or help with a goodbye note
    STOP = "stop"  # wants the messages to stop
    SECRECY = "secrecy"  # asks whether this stays private
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"
    HELP = "help"  # asks for help: a plan, their therapist, the emergency room, anyone
    CONCERN = "concern"  # worried about someone else
    REPEAT = "repeat"  # "you already said that"
    OTHER = "other"


class HelpKind(str, Enum):
    PLAN = "plan"
    CLINICIAN = "clinician"
    EMERGENCY_ROOM = "emergency_room"
    ANY = "any"


@dataclass(frozen=True)
class Reading:
    move: Move
    help: HelpKind | None = None
    means_or_time: bool = False
    """It names means, a method or a time (which, after the bot asked about a plan, is a plan)."""


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


_UNSAFE = _rx(
    r"\b(i'?m|i am|im) not (safe|ok(ay)? to be alone)\b", r"\bdon'?t (feel|think i'?m) safe\b",
    r"\bcan'?t keep (myself|me) safe\b", r"\bnot safe (with|from) (myself|me)\b", r"\bscared (of|i'?ll hurt) myself\b",
    r"\bi (might|will|could) (do something|hurt myself) tonight\b",
    r"\b(have|got|holding|hold)\b.{0,12}\b(them|it|those|these|everything|the stuff)\b.{0,12}\b(in front of me|with me|"
    r"in my hands?|right here|next to me|ready|on my lap|on the (table|desk|bed))\b",
    r"\b(they'?re|it'?s|its|theyre|everything'?s) (right )?(here )?(in front of me|in my hands?|next to me|on the (table|desk|bed)|ready)\b",
    r"\b(have|got|holding|hold|found)\b.{0,25}\b(pills|meds|gun|rope|noose|knife|blade|razor)s?\b.{0,25}"
    r"\b(in front of me|with me|in my hand|right here|next to me|ready|on the (table|desk|bed))\b",
)
_MEANS = _rx(
    r"\b(pills?|meds|medication|tablets|gun|pistol|rifle|firearm|rope|noose|knife|knives|blades?|razors?|bridge|"
    r"roof|ledge|train tracks|overdose|od|hang|jump|cut|cutting|poison|car exhaust|belt)\b"
)
_TIME = _rx(r"\b(tonight|today|tomorrow|this weekend|this week|soon|right now|after (they|everyone)|when .{0,20}asleep)\b")
_PLANNED = _rx(r"\b(i have|i've got|got|made|have) a plan\b", r"\b(it'?s|its) decided\b", r"\bmy mind is made up\b",
               r"\bi know (how|when)\b")
_METHOD = _rx(
    r"\bhow (many|much)\b.{0,40}\b(take|kill|die|fatal|lethal|overdose|od|enough)\b", r"\b(lethal|fatal|deadly) (dose|amount)\b",
    r"\bld ?50\b", r"\b(painless|quickest|easiest|fastest|surest|best) way\b", r"\bwhat (happens|would happen) if (i|you|someone) (took|take|swallow)",
    r"\bhow (long|high|far)\b.{0,30}\b(die|fall|survive|bleed|drown)\b", r"\bwould (it|that|\d+\w*) (kill|be enough|work)\b",
    r"\b(help|write|draft)\b.{0,20}\b(goodbye|suicide|farewell|last) (note|letter|message)s?\b",
    r"\b(goodbye|suicide|farewell) (note|letter)\b.{0,30}\?",
)
_STOP = _rx(
    r"^\W*(stop|go away|shut up|leave me alone|enough)\W*$", r"\bstop (messaging|texting|talking to|dming|bothering|asking|checking on) me\b",
    r"\bleave me alone\b", r"\bdon'?t (message|text|dm|contact|write to) me\b", r"\bi don'?t want to talk (to you|about (it|this))\b",
    r"\bplease stop\b", r"\bgo away\b", r"\bstop it\b",
)
_SECRECY = _rx(
    r"\bbetween (us|you and me)\b", r"\b(will|would|are) you (going to |gonna )?tell (anyone|anybody|someone|my|the|them)\b",
    r"\bdon'?t tell (anyone|anybody|my|the|them)\b", r"\bis (this|it|that) (private|confidential|secret)\b",
    r"\bwho (can|will|else) (see|read|know)\b", r"\bkeep (this|it) (a secret|secret|private|to yourself)\b",
    r"\bpromise (you )?(won'?t|not to) tell\b", r"\bdo (the )?(mods|admins|others|they) (see|know|read)\b",
    r"\bwill (anyone|anybody|they|the mods|the admins) (find out|know|see)\b",
)
_YES = _rx(r"^\W*(yes|yeah|yea|yep|yup|ya|yh|y|sure|ok|okay|i am|i do|i have(?=\W*$)|honestly,? yes|definitely|absolutely|"
           r"all the time|every day|constantly|a lot|please|i think so)\b")
_MAYBE = _rx(r"\b(maybe|idk|i don'?t know|dunno|not sure|kind of|kinda|sort of|sometimes|i guess|possibly|a little|"
             r"a bit|on and off|now and then|here and there|some days)\b")
_NO = _rx(r"^\W*(no|nah|nope|not really|never|not at all|of course not|i'?m not|i am not|nothing like that|"
          r"not like that|no way|i wasn'?t|not now|not yet|(i'?d )?rather not|(please )?don'?t|nobody|no ?one)\b")
_BARE = _rx(r"^\W*(no|nope|nah|yes|yeah|yep|not now)\b")
_BUT = _rx(r"\b(but|though|except|although|apart from|however)\b")
_HELP = {
    HelpKind.PLAN: _rx(r"\b(make|making|build|write|create|come up with|do|put together|help me with) (a |some |my )?"
                       r"(safety |crisis |little )?plan\b", r"\bsafety plan\b", r"\bplan for (the )?(bad|hard|tough|rough|worst) (nights|days|times|moments)\b"),
    HelpKind.CLINICIAN: _rx(r"\b(should|could|can|do|would) i (call|text|email|message|see|tell|contact|ring|book)\b.{0,25}"
                            r"\b(therapist|counsel+or|psychiatrist|psychologist|doctor|gp|shrink|nurse)\b",
                            r"\b(therapist|counsel+or|psychiatrist|psychologist|doctor|gp)\b.{0,40}\?"),
    HelpKind.EMERGENCY_ROOM: _rx(r"\bwhat (happens|would happen|will happen|do they do)\b.{0,40}\b(hospital|emergency room|er|a&e|ed)\b",
                                 r"\b(should|do|can) i go to (the )?(hospital|emergency room|er|a&e|ed)\b",
                                 r"\b(hospital|emergency room|a&e)\b.{0,40}\?"),
    HelpKind.ANY: _rx(r"\b(i need|i want|can you|could you|please|can someone|will you) (some )?help\b",
                      r"\bwhat (should|can|do) i do\b", r"\bwho (can|should|do|could) i (talk|turn|reach|call|go)\b",
                      r"\bhow do i get help\b", r"\bwhere (can|do) i (get|find) (help|someone)\b", r"\bhelp me\b"),
}
_SOMEONE = (r"(friend|son|daughter|kid|child|teen|partner|boyfriend|girlfriend|husband|wife|mom|mum|mother|dad|father|"
            r"brother|sister|roommate|flatmate|bestie|best friend|cousin|student|colleague|coworker|nephew|niece|"
            r"grandson|granddaughter|fiance|fiancee|ex)")
_CONCERN = _rx(
    rf"\b(worried|scared|afraid|concerned|terrified|frightened|freaking out) (about|for) (my|a|our) {_SOMEONE}\b",
    rf"\b(my|our) {_SOMEONE}\b.{{0,60}}\b(said|says|told me|keeps saying|talks about|talking about|posted|texted|"
    rf"wants to|is going to|might|tried|cut|cuts|cutting|has been|hurting|suicid|keeps|posting|saying|talking|texting|"
    rf"writing|giving)\b.{{0,40}}\b(die|dying|kill|suicid|"
    rf"end (it|his|her|their)|hurt|cut|harm|not (want|wanting) to (live|be here)|better off|overdos|pills|goodbye)",
    rf"\b(how|what) (can|should|do) i (help|say to|do for) (my|a) {_SOMEONE}\b",
)
_NOT_REALLY_SOMEONE_ELSE = _rx(r"\bfor a friend\b", r"\bfriend (who|that) is (totally |definitely )?(not )?me\b",
                               r"\bhypothetically\b", r"\bnot me\b", r"\bby friend i mean\b")
_REPEAT = _rx(
    r"\byou (already|just) said (that|this|it)\b", r"\byou said that (already|before)\b", r"\b(you'?re|you are|stop) repeating\b",
    r"\bsame thing (again|over)\b", r"\bsounds? like a (robot|bot|script)\b", r"\bare you (even )?listening\b",
    r"\b(you'?re|you are) not listening\b", r"\bcopy ?paste\b", r"\bagain\?\s*$",
)


def read(text: str, *, after_probe: bool = False) -> Reading:
    """What the reply `text` does; `after_probe`: the bot's last question was about a plan, means or timing."""
    form = " ".join(text.replace("\u2019", "'").split())
    means_or_time = bool(_MEANS.search(form) or _TIME.search(form) or _PLANNED.search(form))
    if _UNSAFE.search(form) or _PLANNED.search(form):
        return Reading(Move.UNSAFE, means_or_time=True)
    if _METHOD.search(form):
        return Reading(Move.METHOD, means_or_time=means_or_time)
    if after_probe and (_YES.search(form) or means_or_time and not (_NO.search(form) and not _BUT.search(form))):
        return Reading(Move.UNSAFE, means_or_time=means_or_time)
    if _STOP.search(form):
        return Reading(Move.STOP)
    if _SECRECY.search(form) and not _BARE.search(form):
        return Reading(Move.SECRECY)
    if _NO.search(form):  # a reply that begins with its answer is that answer ("no, don't tell anyone")
        return Reading(Move.NO)
    if _YES.search(form):
        return Reading(Move.YES)
    if _CONCERN.search(form) and not _NOT_REALLY_SOMEONE_ELSE.search(form):
        return Reading(Move.CONCERN)
    for kind, rx in _HELP.items():
        if rx.search(form):
            return Reading(Move.HELP, help=kind)
    if _MAYBE.search(form):
        return Reading(Move.MAYBE)
    if _REPEAT.search(form):
        return Reading(Move.REPEAT)
    return Reading(Move.OTHER, means_or_time=means_or_time)


_FEELINGS = (
    ("exhausted", "exhausted"), ("tired", "worn out"), ("alone", "alone"), ("lonely", "lonely"),
    ("scared", "scared"), ("afraid", "scared"), ("anxious", "anxious"), ("angry", "angry"), ("empty", "empty"),
    ("numb", "numb"), ("worthless", "worthless"), ("hopeless", "hopeless"), ("overwhelmed", "overwhelmed"),
    ("stuck", "stuck"), ("ashamed", "ashamed"), ("guilty", "guilty"), ("hurt", "hurt"), ("sad", "sad"),
    ("lost", "lost"), ("broken", "broken"), ("crying", "overwhelmed"), ("cry", "overwhelmed"), ("invisible", "invisible"), ("trapped", "trapped"), ("useless", "useless"),
)
_TOPICS = (
    ("work", "work"), ("job", "work"), ("boss", "work"), ("school", "school"), ("exam", "exams"),
    ("class", "school"), ("uni", "uni"), ("college", "college"), ("money", "money"), ("rent", "money"),
    ("debt", "money"), ("family", "your family"), ("mom", "your mom"), ("mum", "your mum"), ("dad", "your dad"),
    ("parents", "your parents"), ("breakup", "the breakup"), ("broke up", "the breakup"), ("partner", "your partner"),
    ("sleep", "not sleeping"), ("health", "your health"), ("friends", "your friends"),
)


def reflect(text: str) -> str:
    """One short line that shows the member was heard, built from their own feeling or topic words.

    It names a feeling or a topic they used, never their method or plan, and never guesses beyond their words.
    """
    words = set(re.findall(r"[a-z']+", text.casefold()))
    form = text.casefold()
    feeling = next((said for word, said in _FEELINGS if word in words), None)
    topic = next((said for word, said in _TOPICS if (word in words if " " not in word else word in form)), None)
    if feeling and topic:
        return f"It sounds like {topic} has left you feeling {feeling}."
    if feeling:
        return f"It sounds like you're feeling really {feeling}."
    if topic:
        return f"It sounds like {topic} has been a lot to carry."
    return "Thank you for telling me that."
