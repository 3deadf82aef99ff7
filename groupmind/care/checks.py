"""The care protocol's reply checks: every care message passes them before it is sent.

Each check is a yes/no question a test can ask of one message, given where it
goes (public channel or private), the member's risk, which protocol step it is
for and what was already said. The model may phrase a care message warmly only
if `check` passes it; otherwise the deterministic protocol text is sent (and
those texts are tested to pass).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import Enum
import functools
from functools import cache
from typing import Callable
from pathlib import Path

from groupmind.care.normalize import normalize
from groupmind.care.signals import RISK_LABELS, Label

RESOURCES_FILE = Path(__file__).with_name("resources.toml")


@dataclass(frozen=True)
class Resource:
    name: str
    how: str
    contact: str
    """The number or address that must appear when this resource is given."""
    emergency: str
    """The region's emergency number, for when a life may be in danger now."""


@cache
def _resources() -> dict[str, Resource]:
    with RESOURCES_FILE.open("rb") as fh:
        return {region: Resource(**entry) for region, entry in tomllib.load(fh).items()}


def all_resources() -> tuple[Resource, ...]:
    """Every region's crisis line, so the guard can tell a resource's number from any other."""
    return tuple(_resources().values())


def resource_for(region: str) -> Resource:
    """The one crisis line for `region` (ISO code, "UK" means GB), or the worldwide directory."""
    table = _resources()
    code = region.strip().upper()
    return table.get({"UK": "GB"}.get(code, code), table["default"])


class Step(str, Enum):
    """What a care message is for, in protocol order."""

    ACKNOWLEDGE = "acknowledge"  # public: warm, no details, offers a private place
    ASK = "ask"  # private: ask directly, once
    STAY = "stay"
    OFFER_HUMAN = "offer_human"
    INVITED = "invited"  # the member said yes: the care contact was told
    LISTEN = "listen"  # the member said no to bringing anyone in: respect it, stay
    RESOURCE = "resource"
    IMMINENT = "imminent"
    FOLLOW_UP = "follow_up"
    QUIET_CHECKIN = "quiet_checkin"
    CURIOSITY = "curiosity"
    # Answering what the member said in private (`groupmind.care.replies` reads it):
    PROBE = "probe"  # after a yes or a maybe to the direct question: ask once about a plan, means and timing
    BELIEVE = "believe"  # after a no: believe them, and stay
    SAFE_NOW = "safe_now"  # imminent risk, later turns: someone with them, distance from means, help on its way
    DECLINE_METHOD = "decline_method"  # a method, dose or goodbye-note request: decline, name the worry
    SECRECY = "secrecy"  # "is this between us?": what stays private, and the one exception
    HELP = "help"  # asks for help: the care contact, their own clinician, emergency services, a plan
    PAUSE = "pause"  # "stop messaging me": stop, say how to reach the bot again
    REPAIR = "repair"  # "you already said that": own it, listen
    CONCERN = "concern"  # worried about someone else: support for the helper
    REFLECT = "reflect"  # anything else: one line that shows it was heard, and stay
    OFFER_PLAN = "offer_plan"  # offer to make a safety plan together
    PLAN_STEP = "plan_step"  # one question of the safety plan
    PLAN_SHOW = "plan_show"  # the member's safety plan, shown back to them


@dataclass(frozen=True)
class CareContext:
    """What the checker needs to know about the message it judges."""

    step: Step
    public: bool
    label: Label
    """The member's current risk label."""
    asked_directly: bool = False
    """The direct question was already asked and nothing has changed since."""
    ai_disclosed: bool = False
    region: str = "US"
    care_contact: str | None = None
    """Display name of the community's care contact, if there is one."""
    disclosure: str = ""
    """What the member said, which a public message must never repeat."""
    imminent: bool = False
    """The member said they are not safe now: nothing may sound like 'later'."""


@dataclass(frozen=True)
class CheckResult:
    failed: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failed


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


_CRISIS = _rx(r"suicid", r"\bcrisis\b", r"hotline", r"helpline", r"lifeline", r"samaritans", r"\b988\b",
              r"are you safe", r"hurt(ing)? yourself", r"kill(ing)? yourself", r"end(ing)? your life", r"at risk",
              r"self[- ]harm", r"emergency")
_ACK = _rx(r"thank you for (telling|sharing|saying)", r"thanks for (telling|sharing|saying)", r"i hear you",
           r"i'm (really |so )?(sorry|glad you)", r"that sounds", r"sounds (really |so )?(hard|heavy|painful|rough)",
           r"i noticed", r"glad you (told|said)", r"that matters")
_PRIVATE = _rx(r"\bprivate", r"\bdm\b", r"direct message", r"\bthread\b")
_DIRECT_ASK = _rx(r"are you (thinking|having thoughts) (about|of) (suicide|killing yourself|ending your life)",
                  r"are you safe( right now)?\?")
_LEADING = _rx(r"you('| a)re not [^?]*,? right\?", r"you (wouldn't|wouldnt|won't|wont) [^?]*,? would you\?",
               r"you('| a)re not (thinking|going|planning)[^?]*\?", r"nothing (serious|bad)[^?]*,? right\?",
               r"you don'?t (really )?(mean|want) (it|that)[^?]*\?")
_LEAVES = _rx(r"\bi (have|need|got) to go\b", r"\bgotta go\b", r"\bi can'?t (talk|help) (about|with) (this|that)",
              r"\b(end|ending|stop|close) (this|our) (conversation|chat)", r"\bi'?m (leaving|logging off)",
              r"\bgood ?bye\b", r"\btalk (to you )?later\b", r"\bi can'?t continue")
_CONSENT = _rx(r"would you like", r"is it (ok|okay|alright)", r"\bcan i\b", r"do you want", r"\bshall i\b",
               r"(ok|okay) (with you )?if i", r"would it help if i")
_OWN_PEOPLE = _rx(r"someone you trust", r"people (in|close to) (your life|you)", r"a friend", r"family")
_METHOD = _rx(r"\b\d+(\.\d+)?\s?(mg|milligrams?|grams?|g|pills|tablets|meters|metres|m|feet|ft|ml)\b",
              r"lethal (dose|amount)", r"\bld ?50\b", r"fatal (dose|amount)", r"overdose on", r"painless",
              r"how to (hang|cut|overdose|jump|drown)", r"most (lethal|effective|deadly) (way|method)",
              r"goodbye (note|letter)", r"suicide note")
_HARMFUL = {
    "minimising": _rx(r"not that bad", r"could be worse", r"cheer up", r"stop being (dramatic|so)",
                      r"think positive", r"look on the bright side", r"others have it worse", r"just relax",
                      r"feeling sorry for yourself", r"you'?ll get over it"),
    "false_promise": _rx(r"everything (will|is going to|'ll) be (fine|ok|okay|alright)", r"it'?ll all be (fine|ok|okay)",
                         r"i promise (it|things|you)", r"things will definitely"),
    "forced_promise": _rx(r"promise me", r"you (must|have to) promise", r"swear (to me )?you won'?t"),
    "committed": _rx(r"committ?(ed|ing|s)? suicide"),
    "diagnosis": _rx(r"you (have|suffer from|are suffering from) (depression|bipolar|ptsd|ocd|anxiety|a disorder)",
                     r"sounds like (you have )?(depression|bipolar|ptsd|ocd|borderline)"),
    "glamorising": _rx(r"(peaceful|beautiful|brave|romantic) (way|death|end)", r"at peace (now|forever)"),
    "secrecy_or_dependency": _rx(r"secret is safe", r"between (just )?us", r"only i understand", r"all you need",
                                 r"you don'?t need (anyone|anybody|other people|a therapist|professionals?)",
                                 r"nobody (else )?understands you like"),
}
_PROMISE = _rx(r"\bwon'?t (tell|bring|share|involve|let) (anyone|anybody|someone|a soul|them|people)\b",
                r"\b(no ?one|nobody) else unless\b", r"\bunless you (want|say|ask)", r"\bstays? (private|with me|confidential)\b",
                r"\bnot tell (anyone|anybody)\b")
_EXCEPTION = _rx(r"\b(life|safety)\b.{0,40}\b(danger|risk)\b", r"\bin danger\b")
_LATER = _rx(r"\bif (things|it) (get|gets) (heavier|worse|too much)", r"\bif you ever\b", r"\bsome ?time\b",
             r"\bwhen(ever)? you'?re ready\b")
_WITH_YOU = _rx(r"\b(someone|anyone|somebody|a person)\b.{0,30}\bwith you\b", r"\bdistance\b", r"\bout of reach\b",
                r"\bsomewhere safe\b")
_PROBES = _rx(r"\b(a )?plan\b", r"\bhow (or|and) when\b", r"\banything (near|with|around) you\b", r"\bwhen\b")
_DECLINES = _rx(r"\bwon'?t help with\b", r"\bnot something i'?ll\b", r"\bi can'?t help with that\b",
                r"\bi'?m not going to help\b", r"\bi won'?t (share|give|write)\b")
_WORRY = _rx(r"\bworried\b", r"\bcare (about|what happens)\b")
_HELPERS = {
    "contact": None,  # the care contact, by name
    "clinician": _rx(r"\btherapist\b", r"\bdoctor\b", r"\bcounsel+or\b", r"\bgp\b"),
    "emergency": _rx(r"\bemergency\b", r"\b(911|999|112|000|111)\b"),
    "line": _rx(r"\b(lifeline|samaritans|helpline|crisis line|988|116 123|13 11 14|1737|3114|findahelpline)\b"),
    "plan": _rx(r"\bplan\b"),
}
_STOPS = _rx(r"\bi'?ll stop\b", r"\bwon'?t (message|write to|text) you\b", r"\bleave you be\b", r"\bgive you (some )?space\b")
_REACH_BACK = _rx(r"\b(write|message|dm|text) me\b", r"\bany ?time\b", r"\bwhenever you\b")
_OWNS_IT = _rx(r"\byou'?re right\b", r"\bsorry\b", r"\bi repeated\b")
_ASK_THEM = _rx(r"\bask (them|him|her)\b", r"\basking (them|him|her)\b")
_SELF_HARM_VOICE = _rx(r"\b(?:hurt|kill|harm|cut|end) myself\b", r"\bend(?:ing)? my (?:own )?life\b",
                       r"\bi (?:want|wanna|wish) (?:to|i could) die\b", r"\bi'?m (?:thinking|planning) (?:about|of|to) (?:suicide|killing|ending)\b",
                       r"\bmy (?:suicide|plan to (?:die|end))\b")
"""The bot speaking of hurting itself: a small model's rewording can turn "anything you could use to hurt
yourself" into "I could use your help to hurt myself"."""
_SAYS_AI = _rx(r"\bi'?m an ai\b", r"\bi am an ai\b", r"\bi'?m a bot\b", r"\bi'?m not a (person|human)\b",
               r"\bas an ai\b", r"\bi'?m just a (bot|program|machine)\b")
_SUGGESTION = _rx(r"\byou (could|might|can) (try|call|text|reach|talk|go)", r"\btry\b", r"\bmaybe\b",
                  r"\bconsider\b", r"\bit might help\b", r"\bhow about\b")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s", re.MULTILINE)

MAX_QUESTIONS = 2
MAX_SUGGESTIONS = 3
MAX_CHARS = 600


def _repeats_disclosure(text: str, disclosure: str) -> bool:
    """Whether `text` repeats three words in a row of the member's disclosure."""
    said = normalize(disclosure).split()
    grams = {" ".join(said[i:i + 3]) for i in range(len(said) - 2)}
    reply = f" {normalize(text)} "
    return any(f" {g} " in reply for g in grams)


def _mentions_resource(text: str, resource: Resource) -> bool:
    return resource.contact.replace(" ", "") in re.sub(r"[\s-]", "", text)


def check(text: str, ctx: CareContext) -> CheckResult:
    """Run every protocol check that applies to this message; return the names of those failed."""
    risk = ctx.label in RISK_LABELS or ctx.step is Step.CONCERN
    failed: list[str] = []

    def need(name: str, ok: object) -> None:
        if not ok:
            failed.append(name)

    need("no_false_alarm", risk or not _CRISIS.search(text))
    if risk and ctx.step in (Step.ACKNOWLEDGE, Step.ASK, Step.IMMINENT):
        need("acknowledges", _ACK.search(text))
    if ctx.public:
        need("privacy_in_public", _PRIVATE.search(text) and not _CRISIS.search(text)
             and not _repeats_disclosure(text, ctx.disclosure))
    asks = _DIRECT_ASK.search(text)
    reasked = ctx.asked_directly and ctx.step is not Step.IMMINENT  # imminent risk is "something changed"
    need("asks_directly_once", not _LEADING.search(text) and not (asks and (reasked or ctx.public))
         and (asks or ctx.step is not Step.ASK or ctx.asked_directly))
    need("never_leaves", not _LEAVES.search(text))
    if ctx.step in (Step.OFFER_HUMAN, Step.IMMINENT, Step.INVITED):
        named = ctx.care_contact and ctx.care_contact.casefold() in text.casefold()
        need("offers_human", named if ctx.care_contact else _OWN_PEOPLE.search(text))
        if ctx.step is Step.OFFER_HUMAN and ctx.care_contact:  # inviting them needs consent
            need("offers_human", _CONSENT.search(text))
    if ctx.step in (Step.RESOURCE, Step.IMMINENT):
        resource = resource_for(ctx.region)
        others = [r for r in _resources().values() if r.contact != resource.contact]
        need("one_resource", _mentions_resource(text, resource) and not any(_mentions_resource(text, r) for r in others))
        need("one_resource", ctx.step is Step.IMMINENT or _OWN_PEOPLE.search(text))
    need("no_method_info", not _METHOD.search(text))
    need("no_harmful_language", not any(rx.search(text) for rx in _HARMFUL.values()))
    need("honest_promise", not _PROMISE.search(text) or _EXCEPTION.search(text))
    if ctx.step is not Step.PLAN_SHOW:  # the member's own plan may say "when I want to hurt myself"
        need("speaks_as_itself", not _SELF_HARM_VOICE.search(text))
    if risk and not ctx.public and not ctx.ai_disclosed and ctx.step in (Step.ASK, Step.IMMINENT):
        need("says_ai", _SAYS_AI.search(text))
    if ctx.step is not Step.PLAN_SHOW:  # the member's own plan is as long as they made it
        suggestions = len(_SUGGESTION.findall(text)) + len(_LIST_ITEM.findall(text))
        questions = functools.reduce(lambda t, r: t.replace(r.name, ""), _resources().values(), text).count("?")
        need("short", questions <= MAX_QUESTIONS and suggestions <= MAX_SUGGESTIONS and len(text) <= MAX_CHARS)
    if ctx.imminent:
        need("present_danger", not _LATER.search(text))
    _does_its_job(text, ctx, need)
    return CheckResult(tuple(dict.fromkeys(failed)))


def _does_its_job(text: str, ctx: CareContext, need: Callable[[str, object], None]) -> None:
    """The checks for what the message's step is for: a probe asks about a plan, a decline declines, and so on."""
    step = ctx.step
    if step in (Step.IMMINENT, Step.SAFE_NOW):
        need("emergency_number", resource_for(ctx.region).emergency in text)
        need("someone_with_them", _WITH_YOU.search(text) and "?" in text)
        if ctx.care_contact:
            need("contact_coming", ctx.care_contact.casefold() in text.casefold())
    elif step is Step.PROBE:
        need("asks_plan_means_time", "?" in text and _PROBES.search(text))
    elif step is Step.DECLINE_METHOD:
        need("declines_and_asks", _DECLINES.search(text) and _WORRY.search(text) and "?" in text)
    elif step is Step.SECRECY:
        need("honest_about_privacy", _PRIVATE.search(text) or "private" in text.casefold())
        need("honest_promise", _EXCEPTION.search(text))
    elif step is Step.HELP:
        offered = sum(1 for name, rx in _HELPERS.items() if (rx.search(text) if rx else
                      ctx.care_contact and ctx.care_contact.casefold() in text.casefold()))
        need("offers_ways_to_help", offered >= 2)
    elif step is Step.PAUSE:
        need("stops_and_leaves_door_open", _STOPS.search(text) and _REACH_BACK.search(text))
    elif step is Step.REPAIR:
        need("owns_the_repeat", _OWNS_IT.search(text))
    elif step is Step.CONCERN:
        need("helps_the_helper", _ASK_THEM.search(text) and not _DIRECT_ASK.search(text))
        if ctx.care_contact:  # the offer of the care contact is the question this step asks
            need("offers_human", ctx.care_contact.casefold() in text.casefold() and "?" in text)
        need("one_resource", _mentions_resource(text, resource_for(ctx.region)))
    elif step in (Step.OFFER_PLAN, Step.PLAN_STEP):
        need("asks_one_thing", "?" in text)
