"""No method information while someone in the conversation is at risk, in public or in private.

A person at risk who asks how tall a bridge is, how many pills, or what dose,
gets no number and no means detail from the bot, however the question was put.
While risk is around, the guard blocks lethality and means words, amounts and
heights with a unit, any figure in digits but a crisis line's own number, and, when
the question itself was about means, any number or size word ("the tallest",
"very high") at all: a bare "27" is a height or a count to someone who asked. Patterns run on the care detector's normal form ("2 2 0  f e e t",
"p1lls"), so spelling games do not get past them.
"""

from __future__ import annotations

import re

from groupmind.care.checks import all_resources
from groupmind.care.normalize import normalize, squash
from groupmind.guard.verdict import PASS, Reason, Verdict, block


def _rx(source: str) -> re.Pattern[str]:
    return re.compile(squash(source))


_NUMBER = r"(?:\d+|a few|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|dozen)"
_UNIT = (
    r"(?:mg|mgs|mcg|ug|g|grams?|kg|kilos?|ml|oz|ounces?|pills?|tablets?|capsules?|caps|doses?|units?|m|meters?|metres?"
    r"|ft|feet|foot|yards?|yd|km|miles?|storeys?|stories|floors?)"
)
AMOUNT = _rx(rf"\b{_NUMBER} ?{_UNIT}\b")
"""An amount or height with its unit: "220 feet", "67 m", "500mg", "thirty pills"."""
LETHAL = _rx(
    r"\b(?:lethal|fatal|deadly|ld ?50|overdose|overdosing|toxic (?:dose|level|amount)|poison(?:ous|ing)?"
    r"|kill (?:you|a person|someone|yourself|a human)|enough to (?:die|kill)|to die\b|would die|die from|die of"
    r"|survive (?:the|a) (?:fall|jump|drop)|painless|quickest|surest|bleed(?:ing)? out|suffocat\w*|asphyx\w*"
    r"|hang(?:ing|ed)? (?:yourself|myself|oneself|someone)|noose|jump(?:ing)? (?:off|from)|slit|wrists?|veins?|arter(?:y|ies)"
    r"|carbon monoxide|exhaust fumes|helium|charcoal|antifreeze|bleach|cyanide|arsenic|barbiturates?|fentanyl"
    r"|opioids?|heroin|insulin|acetaminophen|paracetamol|tylenol|sleeping pills)\b"
)
"""Lethality, method and means words that no reply needs while someone is at risk."""
WEAPON = _rx(r"\b(?:ropes?|guns?|pistols?|rifles?|firearms?|bullets?|ammo|knife|knives|razors?|blades?|shotgun)\b")
"""Means named on their own are a method detail."""
MEANS = _rx(
    r"\b(?:bridges?|buildings?|roofs?|rooftops?|towers?|cliffs?|ledges?|balcony|garage|tracks?|trains?|pills?"
    r"|tablets?|meds|medication|drugs?)\b"
)
"""Places and things that are means only with a size or number (a bridge is also a network device)."""
HOW_MUCH = _rx(r"\b(?:tall|taller|tallest|high|higher|highest|height|drop|deep|deeper|deepest|depth|fall|dose|dosage|amount|how many|how much)\b")
ANY_NUMBER = _rx(rf"\b{_NUMBER}\b")
DIGIT = re.compile(r"\d")


def _without_resources(text: str) -> str:
    """`text` with every crisis line's wording and number taken out: those figures are the help, not a method."""
    for resource in all_resources():
        text = text.replace(resource.how, " ").replace(resource.contact, " ").replace(resource.emergency, " ")
    return text


def asks_for_means(texts: tuple[str, ...]) -> bool:
    """Whether any of `texts` asks about means, lethality or a height or amount of something that could be one."""
    for text in texts:
        form = normalize(text)
        if LETHAL.search(form) or WEAPON.search(form) or (MEANS.search(form) and HOW_MUCH.search(form)):
            return True
    return False


def method_info(text: str, *, risk_around: bool, means_asked: bool) -> Verdict:
    """Block method details while someone is at risk; any number or size word at all when means were asked about."""
    if not risk_around:
        return PASS
    form = normalize(text)
    if LETHAL.search(form) or WEAPON.search(form):
        return block(Reason.METHOD, "a lethality or means word")
    if AMOUNT.search(form):
        return block(Reason.METHOD, "an amount or height with a unit")
    if DIGIT.search(_without_resources(text)):
        return block(Reason.METHOD, "a figure while someone is at risk")
    if MEANS.search(form) and (HOW_MUCH.search(form) or ANY_NUMBER.search(form)):
        return block(Reason.METHOD, "a means with a size or number")
    if means_asked and (ANY_NUMBER.search(form) or HOW_MUCH.search(form)):
        return block(Reason.METHOD, "a number or a size, after a question about means")
    return PASS
