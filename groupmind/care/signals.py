"""First-stage distress detector: deterministic, fast, run on every message.

Patterns are written from the care protocol's categories (explicit, coded,
indirect, projected, self-harm, plans and preparations, panic, hopelessness and
burden), each with a strength from 1 (weak, only counted at high sensitivity)
to 3 (clear). Exclusions then weaken what matched: laughter and 💀 mark banter,
game talk turns "killing myself" into respawning, hyperbole ("this meeting
makes me want to die") and a third-person subject ("he wanted to die", news)
are not about the speaker. Plans, preparations and attempts are never weakened.

A lethality or means question with no distress around it is `curiosity`, never
an alarm; with distress, projection or ideation it is a `means_question`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from groupmind.care import learned, literals
from groupmind.care.normalize import normalize, squash


class Label(str, Enum):
    """What a message says about its author's safety, mildest first."""

    NONE = "none"
    CURIOSITY = "curiosity"
    CONCERN = "concern"
    """Worry about someone else ("my son said he wants to die"): not risk about the speaker."""
    DISTRESS = "distress"
    PANIC = "panic"
    PASSIVE_IDEATION = "passive_ideation"
    MEANS_QUESTION = "means_question"
    ACTIVE_IDEATION = "active_ideation"
    PLAN_OR_IMMINENT = "plan_or_imminent"


RISK_LABELS = frozenset(Label) - {Label.NONE, Label.CURIOSITY, Label.CONCERN}
"""Labels that mean the author may be at risk."""

ALERT_LABELS = frozenset(
    {Label.PASSIVE_IDEATION, Label.MEANS_QUESTION, Label.ACTIVE_IDEATION, Label.PLAN_OR_IMMINENT}
)
"""Labels that warrant telling a care contact (suicidal thoughts, means, plans)."""

RANK = {
    Label.NONE: 0, Label.CURIOSITY: 0, Label.CONCERN: 0, Label.DISTRESS: 1, Label.PANIC: 1,
    Label.PASSIVE_IDEATION: 2, Label.MEANS_QUESTION: 3, Label.ACTIVE_IDEATION: 3,
    Label.PLAN_OR_IMMINENT: 4,
}

SENSITIVITY_THRESHOLD = {"low": 3, "normal": 2, "high": 1}
"""Weakest signal strength that counts, per community sensitivity."""


class Kind(str, Enum):
    EXPLICIT = "explicit"
    CODED = "coded"
    PROJECTED = "projected"
    SELF_HARM = "self_harm"
    PLAN = "plan"
    PREPARATION = "preparation"
    MEANS = "means"
    TIMEFRAME = "timeframe"
    PANIC = "panic"
    HOPELESSNESS = "hopelessness"
    BURDEN = "burden"
    DISTRESS = "distress"
    STRESSOR = "stressor"
    FAREWELL = "farewell"
    """A weak cue (a goodbye, a decision, things given away): flags nothing alone, licenses a learned imminent."""
    LEARNED = "learned"
    """The learned scorer raised the label (`groupmind.care.learned`)."""


@dataclass(frozen=True)
class Signal:
    kind: Kind
    label: Label
    strength: int
    """After exclusions: 0 means an exclusion cancelled it."""
    match: str
    excluded_by: str | None = None


@dataclass(frozen=True)
class Detection:
    label: Label
    signals: tuple[Signal, ...]
    imminent: bool = False

    @property
    def is_risk(self) -> bool:
        return self.label in RISK_LABELS


NO_DETECTION = Detection(Label.NONE, ())

# --- patterns ------------------------------------------------------------------------
# Written on the normalised form: lowercase, no apostrophes ("im", "dont", "wont").

_SELF = r"my ?self"
_I = r"(?:i|im|ive|id|ill|i am|i have|i will|i would)"
_WANT = r"(?:want|wanna|wana|going|gonna|gona|planning|plan|tempted|ready|about|trying|try|thinking about|thought about|thinking of|urge|urges)"

_PATTERNS: tuple[tuple[Kind, Label, int, str], ...] = (
    # explicit
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 3, rf"\b{_WANT} (?:to )?(?:kil+|kiling|end|ending|hurt|hurting|off|offing|shoot|hang|drown) {_SELF}\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 2, r"\bkil+(?:ing|ed)? my ?self\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 3, r"\b(?:im|i am|feeling|feel|been|getting|so|really|very|kinda|pretty) suicidal\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 3, rf"\b(?:{_I}|been|keep|kept) (?:\w+ )?(?:thinking|thoughts?) (?:about|of) (?:suicide|kiling my ?self|ending (?:it|my life)|taking my (?:own )?life)\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 3, r"\b(?:suicidal thoughts|thoughts of suicide)\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 2, r"\bsuicidal\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 3, r"\b(?:end|ending|take|taking) (?:my (?:own )?life|it al)\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 3, r"\b(?:commit|comit|do|doing) suicide\b"),
    (Kind.EXPLICIT, Label.PASSIVE_IDEATION, 3, r"\b(?:want|wanna|wana|wish i could|ready) (?:to )?(?:just )?die\b"),
    (Kind.EXPLICIT, Label.PASSIVE_IDEATION, 3, r"\b(?:wish|hope) (?:i )?(?:was|were|wasnt|werent|could be|would) (?:just )?(?:dead|never born|not (?:alive|here|born)|gone)\b"),
    (Kind.EXPLICIT, Label.PASSIVE_IDEATION, 3, r"\b(?:dont|do not|no longer) (?:want|wanna) (?:to )?(?:be alive|live|exist|be here|wake up|be around)\b"),
    (Kind.EXPLICIT, Label.PASSIVE_IDEATION, 3, r"\b(?:tired|sick|done) (?:of|with) (?:living|being alive|life|existing)\b"),
    (Kind.EXPLICIT, Label.PASSIVE_IDEATION, 3, r"\b(?:no reason to (?:live|stay|go on|keep going)|nothing (?:left )?to live for|(?:whats|what is) the point (?:of|in) (?:living|life|going on|being alive|anything))\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 3, r"\bvoices? (?:\w+ )?(?:tel+|tel+s|tel+ing|say|says|saying) me to (?:hurt|kil+|cut|die|end)\b"),
    # coded
    (Kind.CODED, Label.ACTIVE_IDEATION, 2, r"\bkms\b"),
    (Kind.CODED, Label.ACTIVE_IDEATION, 3, r"\b(?:unalive|unaliving|self ?delete|self ?deleting|sewerslide|sewer slide|su1c1de|commit die)\b(?! (?:my|the|this|that|your|his|her) (?!self))"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 3, r"\b(?:sleep|go to sleep|fal asleep|close my eyes) (?:forever|and never wake up|and not wake up|for good)\b"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 3, r"\bnever wake up\b"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 3, r"\blife (?:isnt|is not|aint|was never|is no longer) worth (?:it|living)\b|\bnot worth living\b"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 3, r"\bbeter of+ (?:without me|if i (?:was|were|wasnt|werent|was not|were not|wasnt) (?:here|around|alive|born)|dead|gone)\b"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 3, r"\b(?:everyone|everybody|they|people|the world|my family) (?:would be|would|will be|d be) (?:happier|beter|fine) (?:without me|when im gone|if i was gone)\b"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 3, r"\b(?:no ?one|nobody) (?:would|will|even) (?:\w+ )?(?:notice|care|mis me)(?: if i (?:was|were|died|disappeared|was gone))?\b(?! if i (?:skipped|mised|left|didnt|took|went|wore|changed|came|showed|stole|ate|quit))"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 3, r"\b(?:wont|will not|not going to|dont think il) be (?:here|around) (?:much longer|for (?:much )?longer|anymore|for long)\b"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 2, r"\b(?:want|wanna|wish i could|just want|need) (?:to )?(?:just )?(?:disappear|vanish|stop existing|not exist|fade away)\b(?! under| into| for (?:a|the) (?:week|weekend|day|bit|while)| to (?:bed|the|a|my))"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 3, r"\b(?:done with (?:life|it al|everything)|cant do (?:life|this life) anymore|want it al to (?:end|stop)|want (?:everything|it) to (?:end|stop) (?:for good|forever))\b"),
    (Kind.CODED, Label.DISTRESS, 2, r"\b(?:want to|wanna|might as wel|should just|ready to|going to|gonna) (?:just )?give up(?! on (?!everything|life|my ?self|living))\b"),
    (Kind.CODED, Label.DISTRESS, 2, r"\bdead inside\b"),
    # self-harm
    (Kind.SELF_HARM, Label.ACTIVE_IDEATION, 3, r"\b(?:cut|cuting|burn|burning|burned|hurt|hurting|harm|harming|scratch|scratching) (?:my ?self|my (?:arms?|wrists?|legs?|thighs?|skin))\b"),
    (Kind.SELF_HARM, Label.ACTIVE_IDEATION, 3, r"\b(?:i|been|started|relapsed?|relapsing|urge to|urges to|back to) (?:\w+ )?(?:self ?harm|self ?harming|cuting)\b"),
    (Kind.SELF_HARM, Label.ACTIVE_IDEATION, 3, r"\b(?:urge|urges) to (?:cut|hurt|burn)\b"),
    # plans, preparations, attempts, means in hand: imminent
    (Kind.PLAN, Label.PLAN_OR_IMMINENT, 3, r"\b(?:plan|planned|planing|decided|figured out|know) (?:how|when|where) (?:im going to|il|i wil|to) (?:do it|end it|kil my ?self|die)\b"),
    (Kind.PLAN, Label.PLAN_OR_IMMINENT, 3, r"\b(?:have|got|made) a plan (?:to|for) (?:end|kil|die|do it|suicide|how)"),
    (Kind.PLAN, Label.PLAN_OR_IMMINENT, 3, r"\b(?:going to|gonna|gona|wil|il) end it (?:al )?(?:tonight|today|tomorow|this weekend|soon|now)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:wrote|writen|writing|finished|left) (?:my|a) (?:goodbye|suicide|last|final) (?:note|leter|mesage)s?\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"^(?!.*\b(?:move|moving|moved|furnished|upgraded|upgrading|declutering|declutered|new (?:place|flat|house|apartment|one)|spring cleaning|minimalis\w*)\b).*?\bgiving (?:away )?(?:al )?(?:of )?my (?:stuf|things|belongings|posesions|games|cat|dog|clothes|plants)\b.{0,60}\b(?:wont|wil not|dont|not going to|no longer) (?:be needing|ned)"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:wont|wil not|dont) ned (?:it|them|any of (?:it|this)|my stuf|these|this stuf) (?:where im going|after tonight|much longer)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:this is|my) (?:final |last )?goodbye\b(?! for now)(?! to (?:my|the|our|this) (?!family|friends))|\bgoodbye (?:everyone|al|world|forever) (?:forever|for good)\b|\b(?:said|saying) my (?:final |last )?goodbyes\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:stockpiling|stockpiled|saving up|saved up|colecting|hoarding|hoarded) (?:my |al my |some |the )?(?:pils|meds|medication|tablets|sleping pils)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:have|got) (?:enough|al the|a bunch of) (?:pils|meds|tablets) (?:to|saved|ready|right here)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:standing|sitting|am) (?:on|at) (?:the|a) (?:bridge|ledge|edge|rof|rooftop|tracks|cliff)\b(?!.{0,50}\b(?:fireworks|view|photos?|pics?|sunset|sunrise|parade|concert|waiting for (?:the|my) (?:bus|train|friends?|ride|fireworks)|tourists?)\b)"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:took|taken|swalowed|just took) (?:al (?:of )?(?:my|the)|to many|a (?:bunch|handful) of|way to many|every) (?:pils|meds|tablets|sleping pils)\b|\b(?:i )?overdosed\b(?! on (?:cafeine|cofe|sugar|energy|redbul|monster|memes|anime|chocolate|candy|netflix|tiktok|vitamin))|\btook an overdose\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:rope|noose|gun|pils|razor|blade) (?:is|are) (?:ready|right here|in front of me|next to me|in my hand)\b|\b(?:tied|tying) (?:a|the) nose\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:have|got) (?:the |my |al the |al my |al of my )?(?:pils|sleping pils|nose) (?:ready|laid out|lined up|counted out|set out)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:going to|gona|gonna|wil|il|about to) (?:take|swalow) (?:al (?:of )?(?:the|my|those|these) (?:pils|sleping pils|tablets)|them al(?: at once)?(?= tonight| now| today|$|[.!,]))"),
    (Kind.MEANS, Label.NONE, 1, r"\b(?:bought|got|have|own|found|kep|keps|hid|hidden|saved|saving|saving up|saved up) (?:a |the |some |my |a bunch of |a stash of |a box of )?(?:(?:dads|moms|grandpas|fathers|brothers) )?(?:rope|gun|guns|razor blades|razors|blades?|pils|sleping pils|pistol|rifle|revolver|shotgun|tablets|meds|medication)\b|\b(?:gun|guns|pistol|rifle|rope|pils|meds|blades?|razors?) (?:are |is )?(?:at home|in the house|in (?:my|the|our) (?:\w+ )?(?:rom|drawer|closet|car|bag|dresser|garage|shed|safe|cabinet|nightstand)|saved|hidden|stashed)\b|\bacces to (?:a |my |the )?(?:\w+ )?(?:gun|guns|firearms?|pils|meds|rope)\b"),
    # A timeframe with intent ("going to do it tonight") is strength 2; a bare one only joins active ideation.
    (Kind.TIMEFRAME, Label.NONE, 2, r"\b(?:going to|gonna|gona|wil|il|ready to|about to|plan to|planning to) (?:\w+ ){0,4}(?:tonight|tonite|today|tomorow|this weekend|in an hour|by morning|right now)\b|\b(?:tonight|tonite|today|tomorow)(?: is|s) the (?:night|day)\b"),
    (Kind.TIMEFRAME, Label.NONE, 1, r"\b(?:tonight|tonite|today|tomorow|this weekend|next week|in an hour|by morning|before morning|soon|right now|after work|at midnight)\b"),
    (Kind.TIMEFRAME, Label.NONE, 1, r"\b(?:on )?(?:friday|saturday|sunday|monday|tuesday|wednesday|thursday)\b|\bafter (?:school|work|class|my (?:\w+ )?class|my shift|the party|the exam)\b|\b(?:once|when|after) every(?:one|body)(?:s| is)? (?:asleep|gone|out|in bed|leaves)\b|\bwhen my (?:parents|roommates?|family|wife|husband|mom|dad) (?:are|is) (?:away|out|gone|asleep)\b|\bin (?:an|one|a few|two) hours?\b"),
    (Kind.MEANS, Label.NONE, 1, r"\b(?:pistol|gun|rifle|rope|razor blades?|blades|pills|oxy|meds|sleping pills)\b.{0,30}\b(?:in (?:the|my|his|her|our) (?:nightstand|drawer|desk|cabinet|closet|garage|safe|car|glovebox)|stashed|saved|hidden)\b|\broof ac+es\b|\bcar fits in the garage\b|\bgarage with the door (?:shut|closed)\b|\bful botle of (?:oxy|pills|meds|sleping pills|vodka)\b|\bgot everything i ned\b"),
    # means in front of them, not feeling safe, letters "just in case", farewells, belongings
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:pils|tablets|meds|rope|nose|gun|pistol|knife|blade|razor|bottle)s? (?:\w+ ){0,5}(?:in front of me|on my lap|in my hand|(?:counted|lined|poured) (?:out|up) (?:on|next to|in front))"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:im|i am|i feel|feeling) (?:not|un) ?safe(?: (?:right now|tonight|anymore|at home|alone|with my ?self|around my ?self))?(?! (?:to|driving|walking|on|in|at|here|there|with (?!my ?self)))\b(?! \w)"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:dont|do not) (?:feel safe|trust my ?self) (?:alone|tonight|right now|anymore|(?:with|around) (?:my ?self|(?:my |the )?(?:pills|meds|knives|blades|razors)|a knife|anything sharp|the car keys|my thoughts))|\b(?:cant|can not|cannot|dont think i can|not sure i can) kep my ?self safe\b|\b(?:scared|afraid|terified) (?:of )?what i (?:might|wil|could|am going to) do to my ?self\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:wrote|writen|writing|left|finished|recorded) (?:\w+ ){0,3}(?:leters?|notes?|video|mesages?|emails?)\b.{0,40}\b(?:just in case(?! (?:the|my|you|u|he|she|they|someone|anyone|it)\b(?: \w+)? (?:comes|cals|drops|rings|arrives|asks|neds|wants|forgets|gets))|in case (?:something hapens|im gone|i dont make it)|for (?:when|after) im gone|for whoever finds me|so they know it wasnt)"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"^(?!.*\b(?:move|moving|moved|furnished|upgraded|upgrading|declutering|declutered|new (?:place|flat|house|apartment|one)|spring cleaning|minimalis\w*)\b).*?\b(?:gave|give|giving|given|handing out|sold) (?:away )?(?:al )?(?:of )?my \w+(?: \w+)?\b.{0,60}\b(?:wont|wil not|dont|not going to|no longer) (?:be )?(?:ned|neding|be around|be here|use it|play)\b(?!(?: \w+){0,3} (?:after (?:graduat|the move|moving|i move|uni|colege|school|this semester)|at (?:the )?new|in (?:the )?new|since i (?:got|bought|upgraded)))"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:you (?:were|have ben|guys were) (?:al )?(?:god|great|the best|amazing|real) friends|(?:it was|its ben) nice knowing (?:you|al|everyone)|(?:please )?dont blame your ?selves|(?:this is|this wil be) the last (?:time )?you(?:l| wil)? (?:ever )?hear from me|(?:wont|never) hear from me again|signing off for (?:god|ever)|remember me as i was)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:tel|let) my (?:mom|mum|dad|parents|family|sister|brother|kids|wife|husband) (?:that )?i (?:love|loved)\b|\bthis is my last (?:mesage|post)\b(?! in this (?:channel|thread))(?!.{0,40}\b(?:migrating|moving to|new server|new channel))(?! (?:before|until|for|of the|here for))"),
    (Kind.EXPLICIT, Label.PASSIVE_IDEATION, 3, r"\b(?:hope|pray|praying|hoping) (?:that )?i (?:dont|wont|do not|never) wake up\b|\b(?:hope|wish) (?:a|the|some) (?:car|bus|truck|train) (?:hits|would hit|runs over) me\b|\bdont care if i live or die\b|\blife (?:isnt|is not|aint) worth living\b|\b(?:welcome|would welcome) death\b"),
    (Kind.HOPELESSNESS, Label.DISTRESS, 3, r"\bno light at the end\b|\brunning out of reasons\b|\bcant (?:se|imagine) (?:a|any) future\b|\bgiven up on (?:everything|life|my ?self)\b|\bnothing left for me\b|\bat the end of my rope\b(?! with (?:this|the|my|these|that) (?!life))|\bcant kep going like this\b|\bdont know how (?:much )?longer i can (?:hold on|do this|kep going)\b"),
    (Kind.PROJECTED, Label.NONE, 2, r"\b(?:(?:who is|whos|definitely|totaly|obviously|its) not me|that friend is (?:me|actualy me)|(?:ok|okay|fine) its me|not for me obviously|for a (?:buddy|mate))\b"),
    (Kind.FAREWELL, Label.NONE, 1, r"\b(?:godbye|bye|farewel|thanks for everything|thank you for everything|just in case|gave away|giving away|made up my mind|my mind is made up|its (?:decided|setled|hapening)|decision is made|decisions made|set the date|picked the day|my last (?:mesage|night|weekend|day)|leters?|notes?)\b"),
    # Said without any "suicide" word: an attempt under way, a decision with a time, means in hand or counted out,
    # not trusting oneself, a goodbye with finality, belongings given away, letters left, self-harm in chat words.
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:took|taken|swallowed|downed|drank|ate|chugged|popped) (?:the (?:whole|entire|full|rest of the)|a (?:whole|full|entire)|al (?:of )?(?:my|the|those|these|them)|every|(?:a )?(?:bunch|handful|lot|load)s? of|way to many|to many|the rest of my) (?:\w+ ){0,2}(?:botle(?! of (?!pills|meds|tablets|sleping|painkilers|tylenol|advil|paracetamol))|pack|packet|box|pills|meds|tablets|antidepresants|painkilers|paracetamol|tylenol|advil|ibuprofen|insulin|oxy|xanax|benzos|them|it)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:took|swallowed|drank|downed|did) (?:them|it|everything|it al|the lot)\b.{0,40}\b(?:to late|geting (?:sleepy|drowsy|dizzy|tired)|fel(?:ing)? (?:weird|dizzy|sleepy|numb|funy|strange)|cant (?:fel|stay awake|kep my eyes)|dont cal|no one cal|nobody cal)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:drank|drinking|swallowed|swallowing|downed) (?:the |some |a (?:cup|glass|botle) of )?(?:bleach|antifreeze|poison|drain cleaner|weed kil+er|rat poison)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\bcut (?:to|so|realy|way to) deep\b|\bcant stop the bleeding\b|\bbleeding (?:a lot|everywhere|wont stop|so much)\b"),
    (Kind.PLAN, Label.PLAN_OR_IMMINENT, 3, r"\b(?:tonight|today|tomorow|this weekend|this week|after (?:my|the|this) (?:shift|exam|party|funeral|birthday|weekend)|after everyone (?:is asleep|goes to bed|leaves)|when everyone is asleep)\b.{0,30}\b(?:im|i am|il|i wil|im going to|im gona|its) (?:ending (?:it|this|everything|things|my life)|end (?:it|everything|my life)|doing it|going to do it|gona do it|happening|over|the night|the day)\b"),
    (Kind.PLAN, Label.PLAN_OR_IMMINENT, 3, r"\b(?:im|i am|il|i wil|im going to|im gona|going to|gona) (?:end|ending|finish|finishing) (?:it|it al|everything|my life|things|this for good)\b(?! with| early| off| on a)(?: \w+){0,5} (?:tonight|today|tomorow|this weekend|soon|after|before|on (?:friday|saturday|sunday|monday|tuesday|wednesday|thursday))\b"),
    (Kind.PLAN, Label.PLAN_OR_IMMINENT, 3, r"\b(?:ive decided|i decided|its decided|ive made (?:up )?my (?:mind|decision)|i made (?:up )?my (?:mind|decision)|my mind is made up|decision is made|no more waiting|no going back now)\b(?! to (?!do it|end|go through|stop (?:everything|living|being)))(?! on| what| which| where| about| between)(?: \w+){0,6} (?:tonight|today|tomorow|this weekend|its hap+ening|its time|its over)\b"),
    (Kind.PLAN, Label.PLAN_OR_IMMINENT, 3, r"\bi know (?:exactly )?(?:how and when|when and how|how (?:im going to|il|i wil|im gona) do it|when (?:im going to|il) do it)\b|\b(?:worked|figured) out (?:how and (?:when|where)|the method)\b|\bresearched (?:the )?(?:method|methods|how to do it)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:gun|pistol|rifle|knife|blade|razor|rope|nose|pills|botle of pills|belt)\b(?: \w+){0,4} (?:in my lap|on my lap|in my hands?|beside me|next to me|loaded and|in front of me)\b(?!.{0,50}\b(?:shave|shaving|beard|cooking|chop\w*|onions?|vegetables|bread|carving|whitling|sharpen\w*)\b)|\b(?:staring at|siting with|siting here with|sat here with) (?:a |the |my )?(?:gun|pistol|rifle|knife|blade|razor|rope|nose|pills|botle of pills|ful botle)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:counted|counting|lined up|laid out|sorted|poured) (?:out )?(?:al (?:of )?)?(?:my|the) (?:pills|meds|tablets|sleping pills)\b|\b(?:pills|meds|tablets)\b.{0,40}\btheres? (?:is )?(?:more than )?enough\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:dont|do not|cant|cannot) trust my ?self (?:to be (?:alone|safe|home alone|on my own)|not to|tonight|right now|anymore|at al)\b(?!.{0,30}\b(?:chips|snacks|cake|candy|chocolate|pizza|cookies|credit card|online shopping|sales?)\b)|\b(?:scared|afraid|terified) (?:that )?(?:i|il|im going to|im gona) (?:do something|do it|hurt my ?self|act on it|go through with it)\b|\b(?:someone|somebody) (?:please )?(?:stay|be) with me\b.{0,40}\b(?:scared|not ok|not okay|cant|afraid)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?<!said )(?:farewel|godbye|bye|so long)\b.{0,50}\b(?:im not coming back|not coming back|wont be back|for god|forever(?! to)|for the last time|its ben (?:real|fun|nice|good)|take care of (?:your ?selves|each other|my)|tel (?:my )?(?:mom|mum|dad|family|everyone|them) (?:i|that)|sory for everything|i love you al|thanks? (?:you )?for everything|remember me|dont be sad|dont mis me)\b(?!.{0,30}\b(?:new job|last day at|moving|vacation|holiday|see you|til|until|next (?:week|month|year)|on (?:monday|tuesday|wednesday|thursday|friday)|semester))"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:sory for everything|thank you al for everything|i love you al|take care of each other|tel (?:my )?(?:mom|mum|dad|family) i (?:love|am sory|m sory))\b.{0,50}\b(?:farewel|godbye|bye)\b(?!.{0,30}\b(?:new job|last day at|moving|vacation|holiday|see you|til|until|next|semester))"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:gave|given|giving|give|gifted|rehomed|rehoming) (?:away )?(?:\w+ ){0,2}my (?:dog|cat|pets?|guitar|games|console|ps5|xbox|switch|stuf|things|clothes|books|plants|bike|car|jewelry|ring|colection|records|acount|skins)\b.{0,60}\b(?:nothing(?: is|s)? (?:keeping|holding) me|no reason (?:to stay|left)|wont (?:be needing|ned (?:it|them|em|anything) anymore)|after im gone|when im gone|where im going|no use for (?:it|them) (?:now|anymore)|beter than i (?:could|ever did|can))\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:you|u) can (?:have|kep|take) (?:al )?(?:of )?my (?:\w+ ){0,2}(?:stuf|things|games|clothes|acount|skins|items|colection)\b.{0,40}\b(?:after|when|once) im (?:gone|dead|not here)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\bjust in case (?:anything|something) (?:hapens|goes wrong)(?: to me)?\b.{0,60}\b(?:leter|leters|note|notes|envelope|mesage|video|password)s?\b|\b(?:a |one )?(?:leter|note|mesage) for (?:each of you|everyone|every one of you|al of you)\b|\b(?:leters|notes) (?:for|to) everyone i (?:love|care about)\b|\bfor whoever finds me\b"),
    (Kind.CODED, Label.PASSIVE_IDEATION, 3, r"\bnothing(?: is|s)? (?:keeping|holding) me here\b|\b(?:after|when|once) im (?:gone|dead|not (?:here|around) anymore)\b(?! (?:for|on|to|from|at))"),
    (Kind.SELF_HARM, Label.ACTIVE_IDEATION, 3, r"\bi (?:cut|burned) (?:again|last night|tonight|today|yesterday|this morning)\b|\bsh (?:urges?|again|relapse)\b|\b(?:relapsed|relapse|relapsing) (?:on|with|into|and) (?:sh|self ?harm|cuting|cut)\b|\burges? to (?:sh|cut|self ?harm|burn)\b|\b(?:clean|sober) (?:from (?:sh|cuting|self ?harm) )?for (?:\w+ ){1,2}(?:days?|weeks?|months?) (?:and|but) (?:i )?(?:cut|relapsed|mesed up|broke it|slipped)\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 3, r"\bsuicide (?:is al i think about|is on my mind|thoughts|feels like|is the only|sounds|is looking|is calling|is always on)\b|\bthinking about suicide\b|\b(?:iwantodie|wantodie|kilmyself|kms+ing|endmylife|unalivemyself)\b|\b(?:ctb|catch the bus|final sleep|rope time|roping)\b(?! (?:at \d|to|for|home|into|back|in the morning|at the|with|an?|from|every)\b)(?! = come)"),
    (Kind.BURDEN, Label.DISTRESS, 3, r"\b(?:im|i am|i feel like|feel like) (?:just |such )?(?:a )?(?:waste of (?:space|air|oxygen|time)|dead weight|a drain on|draging everyone down|ruining everyone|holding everyone back|the problem in everyones life)\b|\bi (?:only|just) make (?:things|everything|life) (?:worse|harder) for (?:everyone|everybody|them|you al)\b"),
    (Kind.HOPELESSNESS, Label.DISTRESS, 3, r"\b(?:theres|there is) no (?:point (?:anymore|in trying|to any of this)|way out|future for me|light at the end)\b|\bnothing (?:wil|is going to|is gona) (?:ever )?(?:change|get beter|be ok)\b|\b(?:ive|i have) (?:nothing|no one|nobody) left\b|\bi (?:give|gave) up on (?:everything|life|my ?self|living)\b|\bi (?:cant|dont) see (?:a|any) (?:future|way forward|point)\b|\bits never going to (?:end|stop|get beter)\b"),
    (Kind.PROJECTED, Label.NONE, 3, r"\bfriend (?:me lol|its me|aka me|ok its me|jk its me|lol its me|(?:which|who) is me)\b|\bthe friend is me\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:took|swallowed|taken|downed|popped) (?:like |about |around |maybe )?(?:\d+|twenty|thirty|forty|fifty|a hundred|\d+ strips of|every one of) (?:of )?(?:my |the |her |his |those )?(?:\w+ )?(?:pills|meds|tablets|sleping pills|painkilers|strips)\b|\b(?:swallowed|took|taken) (?:them|it) al\b(?! (?:to|out|home|back|with|in|on|for|the|down|of|away|apart))|\btook everything in (?:the|my) (?:medicine )?(?:cabinet|cupboard|drawer)\b|\bmixed (?:the |some |my )?(?:vodka|alcohol|boze|wine|whiskey|beer|drinks?) with (?:al )?(?:of )?my (?:\w+ )?(?:pills|meds|tablets)\b|\b(?:its done|i did it)\b.{0,20}\b(?:i took them|took them al|the botles empty|botle is empty)\b|\btook (?:my )?(?:\w+s )?whole (?:prescription|botle|pack|suply)\b|\bcuts are (?:way |much |so )?deper\b|\bcut\b.{0,40}\b(?:fel|feling) faint\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:i )?(?:realy )?(?:dont|do not) (?:think|fel) (?:like )?(?:im|i am) safe\b|^\W*(?:im )?not safe\b(?! (?:to|for|from|at|on|in|around|driving|walking|lol|lmao|haha))|\b(?:dont|do not) fel safe\b(?! (?:at|in|on|with|around|walking|driving|going|here|there|from|near|when))|\b(?:scared|afraid|terified) of what (?:im|i am|i) (?:going to|gona|might|wil|could) do\b(?! to (?!my ?self\b))(?!.*\b(?:lol|lmao|haha)\b)|\bcant stop my ?self (?:this time|anymore|tonight)\b|\bstop my ?self this time\b|\b(?:someone|somebody) (?:please )?stop me\b|\b(?:dont|do not) think (?:il|i wil|i can|im going to) (?:make it|survive|last) (?:through|til|until|past) (?:tonight|the night|morning|tomorow)\b|\blosing the fight (?:with my ?self|tonight)\b|\b(?:close to|about to|going to) do(?:ing)? something (?:stupid|bad|dumb|drastic) to my ?self\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"^(?!.*\b(?:lol|lmao|lmfao|haha|hehe|game|server is dead|gg|se (?:you|yal|ya)|tmrw|tomorow|brb|later)\b).*?\b(?:log(?:ing)? of|leaving|signing of|peace out|im gone|im out|going away)\b.{0,15}\b(?:forever|for god(?: this time)?)\b(?! ?(?:until|til|lol|lmao|haha|jk|brb))|\bthis is the end (?:for me|of me|of the line for me)\b|\bthank you (?:al )?for putting up with me\b.{0,40}\b(?:done|bye|go|godbye)\b|\bbefore i go\b.{0,20}\b(?:for god|forever)\b|\b(?:if i dont|in case i dont) (?:come back|make it|wake up)\b.{0,60}\b(?:fault|godbye|bye|love|sory)\b|\bwont be (?:around|here|alive) (?:after|by|past) (?:tonight|today|tomorow|this week|friday|saturday|sunday|monday|tuesday|wednesday|thursday)\b|\b(?:it was|its|it wasnt|it isnt) (?:never )?(?:anyones|anyone heres|your|any of your) fault\b.{0,40}\b(?:bye|godbye|love|go|gone|done)\b|\bby the time (?:you|anyone|u|someone) (?:read|reads|see|sees|find|finds) this\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"^(?!.*\b(?:upgraded|upgrading|got a new|bought a new|replaced|moving|declutering|spring cleaning|new one)\b).*?\b(?:anyone|who|somebody|someone) wants? my (?:\w+ ){0,4}\w+\b.{0,50}\b(?:wont ned (?:it|them|em) anymore|not (?:gona|going to) be (?:around|here)|dont ned (?:it|them|em) after|wont be (?:around|here))\b|\b(?:none of it|nothing) (?:maters|wil mater) after (?:friday|saturday|sunday|tonight|tomorow|this week|monday|tuesday|wednesday|thursday)\b|\b(?:wont|not gona|not going to) be (?:around|here|alive) to (?:use|care|ned|se|enjoy|wear|play)\b|\btying up (?:al )?(?:my )?(?:loose ends)\b.{0,40}\b(?:giving|gave|leters|godbye|before i go(?! (?:on|to|back|home|out|away for))|family)\b|\b(?:giving|gave|given) (?:away )?(?:my \w+(?: and my \w+)?|everything)\b.{0,40}\btying up (?:loose ends|everything)\b|\b(?:easier|beter) for (?:my family|everyone|them) (?:that way|without me|when im gone)\b"),
    (Kind.PREPARATION, Label.PLAN_OR_IMMINENT, 3, r"\b(?:finished|wrote|writing|drafted|done with|done) (?:writing )?(?:my |a |the |al my )?(?:last )?(?:leters?|note|notes|godbye (?:msg|mesage|post))\b.{0,50}\b(?:understand after|make sense later|itl make sense|lighter now|thats everyone|explaining everything|so (?:nobody|no one) blames|scheduled it|blame them ?selves)\b|\b(?:the|my) (?:leter|note)s? (?:is|are) in my (?:top |botom )?(?:drawer|desk|room|car|nightstand)\b|\b(?:writing|wrote) leters so (?:nobody|no one) blames\b|\b(?:last|final) leter (?:is )?done\b|\bleters in envelopes with everyones names\b|\bmy note is saved\b"),
    (Kind.PLAN, Label.PLAN_OR_IMMINENT, 3, r"\b(?:talked|talk me|talking me) out of it\b.{0,5}|\bnot coming down\b(?! (?:for|to|until|til|with))|\b(?:a plan and a date|a date and a plan)\b|\b(?:engine running)\b.{0,40}\bgarage\b|\bgarage\b.{0,40}\bengine running\b|\balready (?:decided|picked the (?:spot|place|day|date))\b(?: \w+){0,3} (?:tonight|today|tomorow|friday|saturday|sunday|monday|tuesday|wednesday|thursday)(?: night)?\b|\b(?:friday|saturday|sunday|monday|tuesday|wednesday|thursday) is the (?:day|night)\b(?! (?:we|the|i|for|of|to|that|when|it|my|our|a|new))|\b(?:ive )?got everything i ned (?:now|for it|for tonight)\b.{0,40}\b(?:waiting|leave|asleep|alone|tonight)\b|\bbought the (?:stuf|rope|pills|gun|things)\b.{0,30}\b(?:do it|finaly|tonight|tn)\b|\bwrote down the time\b"),
    (Kind.EXPLICIT, Label.ACTIVE_IDEATION, 3, r"\b(?:gona|going to|about to|wana|want to) suicide\b|\b(?:sicide|suicde|suiside|sucide|suicidel)\b|\bkl+ my ?self\b|\bthinking about (?:sicide|sucide|suicde)\b"),
    (Kind.EXPLICIT, Label.PASSIVE_IDEATION, 3, r"\b(?:wnt (?:2|to)|want 2|wana 2) die\b"),
    (Kind.PANIC, Label.PANIC, 3, r"\b(?:anxiety atack|panic atack)\b|\bchest is (?:so )?tight\b.{0,30}\bcant (?:calm down|breathe)\b"),
    (Kind.SELF_HARM, Label.ACTIVE_IDEATION, 3, r"\b(?:gona|going to|about to|wana|ned to|want to) cut\b(?! (?:the|my hair|it|this|that|out|back|down|of|costs?|ties|a|some|them|him|her|you|in|corners|class|school|carbs|sugar|bangs|the grass|losses|him of|her of))|\bcovered in cuts\b|\bstarving my ?self\b|\b(?:hit|punched|burned|bit|scratched|hurt) (?:the wal|my ?self|my \w+)\b.{0,40}\bon purpose\b"),
    (Kind.HOPELESSNESS, Label.DISTRESS, 3, r"\bnothing (?:is |s )?(?:ever )?(?:going to|gona|wil) (?:ever )?(?:get beter|change|improve)\b|\blife is (?:pointles|meaningles|worthles|not worth it)\b"),
    (Kind.HOPELESSNESS, Label.DISTRESS, 2, r"\btired of trying\b|\bim so done\b(?! with (?:this|that|work|school|the|my|him|her|them|it))"),
    (Kind.PROJECTED, Label.NONE, 3, r"\babout a friend (?:and )?not me\b|\bfriend me (?:has|is|wants|keps|ben)\b"),
    # lethality / means questions (curiosity unless distress is around)
    (Kind.MEANS, Label.CURIOSITY, 2, r"\bhow (?:many|much)\b.{0,30}\b(?:pills|tablets|meds|sleping pills|painkilers|paracetamol|tylenol|insulin|advil|ibuprofen)\b.{0,20}\b(?:would it take|does it take|wil it take|is enough|would be enough|to take to)\b"),
    (Kind.MEANS, Label.CURIOSITY, 2, r"\b(?:ldso|ld50|ld so|ld 50)\b|\b(?:lethal|fatal|toxic|deadly) (?:dose|amount|level)\b"),
    (Kind.MEANS, Label.CURIOSITY, 2, r"\bhow (?:many|much) .{0,40}\b(?:to|would|wil|does it take to|could|can) (?:kil|die|be (?:fatal|lethal|deadly)|overdose|od)\b"),
    (Kind.MEANS, Label.CURIOSITY, 2, r"\b(?:can|could) (?:you|someone|a person|people) (?:die|overdose|od) (?:from|of|on|after|by)\b|\bis (?:it|\w+) (?:fatal|lethal|deadly)\b"),
    (Kind.MEANS, Label.CURIOSITY, 2, r"\b(?:tal+est|highest|biggest|deepest|deadliest) (?:bridge|building|cliff|parking garage|rof|tower)s?\b|\bhow (?:high|tal|far) .{0,30}\b(?:to die|fal|jump|survive)\b"),
    (Kind.MEANS, Label.CURIOSITY, 2, r"\bhow long (?:does it take|til|until) (?:\w+ ){0,3}(?:to )?(?:die|bled out|drown|suffocate|overdose)\b|\bwhere (?:can i|to|do i) (?:buy|get) (?:a )?(?:gun|rope|pils|sleping pils|barbiturates)\b"),
    (Kind.MEANS, Label.MEANS_QUESTION, 3, r"\b(?:painles|easiest|easy|quickest|quick|fastest|best|surest|least painful|peaceful) (?:way|ways|method|methods) (?:to|of) (?:die|dying|go|end it|end my life|kil my ?self|commit suicide)\b"),
    # projected
    (Kind.PROJECTED, Label.NONE, 1, r"\b(?:asking for a friend|for a friend|hypothetical+y|just curious|purely academic|for a story|for research)\b"),
    (Kind.PROJECTED, Label.PASSIVE_IDEATION, 3, r"\bwhat if (?:someone|somebody|a person|you) (?:wanted|wants|want) to (?:die|end it|kil themselves|disappear forever)\b"),
    # panic
    (Kind.PANIC, Label.PANIC, 3, r"\b(?:panic atack|having a panic|cant breathe|can not breathe|hyperventilating|hyperventilate|think im dying|think im having a heart atack)\b"),
    (Kind.PANIC, Label.PANIC, 2, r"\b(?:im|i am) (?:\w+ )?panicking\b|\b(?:heart (?:is )?(?:racing|pounding)|chest (?:is )?(?:tight|tightening)|cant stop shaking|everything is spinning)\b"),
    # hopelessness and burden
    (Kind.HOPELESSNESS, Label.DISTRESS, 3, r"\b(?:it|its|things|life|nothing|this|thats) (?:is |s |are )?(?:never|not|wont|isnt) (?:going to|gonna|ever)? ?(?:get|getting|be) (?:any )?beter\b|\bnothing (?:wil )?ever (?:gets?|changes?|be) beter\b"),
    (Kind.HOPELESSNESS, Label.DISTRESS, 3, r"\b(?:feel|feeling|im|i am|so|completely|totaly) hopeles\b|\b(?:lost al|no) hope (?:left|anymore)\b|\beverything (?:is|feels) hopeles\b|\bno way out\b"),
    (Kind.HOPELESSNESS, Label.DISTRESS, 3, r"\b(?:cant|can not|cannot) (?:do|take|handle|bear|stand) (?:this|it|any of this|life) anymore\b|\bcant (?:go on|kep going|kep doing this)\b"),
    (Kind.HOPELESSNESS, Label.DISTRESS, 2, r"\bi ned out\b|\b(?:so|realy) tired of (?:everything|it al|al of it)\b|\bwhats the point (?:anymore|of anything)\b"),
    (Kind.BURDEN, Label.DISTRESS, 3, r"\b(?:im|i am|i feel like|feel like) (?:such )?(?:a|just a) burden\b|\bburden (?:to|on) (?:everyone|everybody|my family|you al|people|them)\b"),
    (Kind.DISTRESS, Label.DISTRESS, 2, r"\b(?:im|i am|feel|feeling|felt) (?:so |realy |completely |totaly |just )?(?:devastated|worthles|empty|numb|broken|miserable|alone|depresed|desperate|lost)\b"),
    (Kind.DISTRESS, Label.DISTRESS, 2, r"\b(?:falling apart|cant stop crying|crying every night|hate my ?self|hate my life|hate being alive|my depresion (?:wont|is)|everything is too much|so overwhelmed)\b"),
    (Kind.STRESSOR, Label.DISTRESS, 1, r"\b(?:lost my (?:job|home|house|mom|dad|mother|father|wife|husband|partner|best friend)|got fired|laid off|(?:she|he|they) (?:left|dumped) me|broke up with me|(?:mom|dad|wife|husband|partner|brother|sister|friend) (?:died|pased away)|getting (?:evicted|divorced)|im homeles)\b"),
)

# --- exclusions ------------------------------------------------------------------------


def _exclusion(*parts: str) -> re.Pattern[str]:
    return re.compile(squash("".join(parts)))


_BANTER = _exclusion(r"\b(?:lol+|lmao+|lmfao|rofl|(?:ha){2,}h?|hehe+|jk|jking|just kidding|kidding|xd+|lul|kek|crying lol)\b")
_GAMING = _exclusion(
    r"\b(?:boss|game|games|gaming|level|raid|respawn|respawned|spawn|noob|nerf|lag|fps|ranked|pvp|mob|mobs|minecraft|fortnite|"
    r"elden|souls|valorant|league|controller|grenade|grenades|fall damage|hardcore mode|speedrun|dungeon|checkpoint|"
    r"teammate|teammates|squad|lobby|npc|quest|lava|creeper|zerg|headshot|among us|impostor|imposter|main supremacy|malenia|died \w+ times)\b"
)
_GAME_MECHANIC = _exclusion(r"\b(?:respawn|respawned|respawning|lava|fal damage|grenades?|checkpoint|spawn|hp|level|died \w+ times)\b")
# Hyperbole: something trivial "makes me want to die"; dying "of" cringe or laughter.
_HYPERBOLE = _exclusion(
    r"\b(?:makes?|making|made) me (?:want to|wanna) (?:die|kil my ?self|kms)\b|\b(?:die|dying|died) (?:of|from) "
    r"(?:embarrassment|cringe|laughter|laughing|boredom|happiness|cuteness|shame|secondhand)\b|\bif i have to\b|"
    r"\bdie on (?:this|that|the) hil\b|\bbefore i (?:kil my ?self|die)\b.{0,30}\b(?:homework|exam|meeting|class|work)\b|\bwhen i see\b|"
    r"(?<!wish i )\bcould slep forever\b|\bslep forever\?|\bslep (?:til|until) non\b|\bslep when im dead\b|\bso embarasing\b"
)
_ACCIDENT = _exclusion(
    r"\b(?:cut|hurt|burned|burnt) my ?self (?:shaving|cooking|on(?! purpose)|while|playing|at the gym|lifting|skiing|running|with the|chopping)\b|"
    r"\b(?:cut|burned|burnt|hurt) my (?:finger|thumb|hand) (?:on|while|cooking|chopping)\b"
)
# A third-person subject right before a match: news, stories, other people.
_OTHERS = _exclusion(
    r"\b(?:he|she|they|his|her|their|hes|shes|theyre|someone|somebody|people|character|guy|girl|man|woman|actor|actress|"
    r"singer|rapper|celebrity|player|author|article|report|reportedly|news|movie|show|book|song|film|victim|patient|students?|"
    r"friend|friends|son|daughter|kid|child|brother|sister|mom|mum|dad|wife|husband|partner|roommate|coworker|cousin|who|whos)"
    r"(?: \w+){0,3} ?$"
)

# "KMS" is also kernel mode setting, a staple of Linux support channels.
_TECH_KMS = _exclusion(
    r"\b(?:use|using|enable|enabled|disable|disabled|with|without|the|via|intel|radeon|nouveau|nvidia|no) kms\b|"
    r"\bkms (?:driver|mode|support|enabled|disabled|is|on|of|kernel|framebufer|and|or)\b"
)
_NEVER_WEAKENED = {Kind.PLAN, Kind.PREPARATION}
_PROJECTION = _exclusion(*(source for kind, _, _, source in _PATTERNS if kind is Kind.PROJECTED and "what if" not in source))
"""Any projection marker; the scan only looks for it once something matched."""


# Every pattern needs a word starting with one of these (squashed) anchors, so the common
# message that has none skips the scan, and each pattern runs only when an anchor its
# source names is present. tests/unit/test_care_signals.py
# checks that the prefilter changes no result on the evaluation set and the IRC logs.
_ANCHOR_WORDS = frozenset("""
myself self life end ending die dying dead born alive gone wish hope live living exist existing wake here around
reason point voice voices kms delete deleting slep aslep eyes beter hapier fine without notice care mis longer anymore
long disapear vanish fade done stop everything give inside arm arms wrist wrists leg legs thigh thighs skin harm harming
cuting cut burn burned burning hurt hurting scratch scratching urge urges plan planed planing decided figured know
godbye godbyes last final note leter giving ned tonight going pils meds medication tablets bridge bridges ledge edge
rof roftop tracks clif clifs rope nose gun razor blade pistol rifle today tomorow weekend hour morning now soon ld ldso
fatal toxic deadly od building buildings garage tower towers fal jump survive bled drown sufocate barbiturates
painles easiest easy quickest quick fastest best surest least peaceful friend curious academic story research
panic panicking breathe heart chest shaking spinning way cant cannot out tired burden devastated worthles empty numb
broken miserable alone desperate lost apart crying hate much overwhelmed fired laid left dumped broke died pased evicted
divorced homeles comit
took taken swalowed drank downed ate chuged poped whole entire bleach antifreze poison cleaner counted counting lined
sorted poured enough staring siting sat beside loaded farewel bye sory forever coming keeping holding stay deep
bleding relapse relapsed relapsing sh clean sober suicide iwantodie wantodie kilmyself endmylife unalivemyself ctb
catch waste weight drain draging ruining future nothing ive shift after decision mind its no everyone everybody
exam party funeral birthday whe gifted rehomed rehoming dog cat guitar games console stuf things acount skins
colection thinking theres there i
strips cabinet cupboard mixed vodka alcohol boze wine whiskey prescription cuts deper faint think fel stop
losing close log loging leaving signing peace forever putting fault wont anyone who somebody someone maters
tying easier finished drafted done drawer note saved talked talk engine already friday saturday sunday monday
tuesday wednesday thursday got bought wrote gona wana sicide suicde suiside sucide suicidel kl wnt anxiety
starving punched hit bit scratched purpose pointles meaningles worthles so about
pistol oxy roof car ful once when every everyone everybody
tablets knife bottle lap hand safe trust scared afraid terified wrote writen writing recorded leters notes video
mesage mesages email emails case gave give given handing sold friends knowing blame hear signing remember pray
praying hoping car bus truck train worth welcome light runing reasons imagine future hold totaly definitely obviously
whos buddy mate bye farewel thanks thank made decision decisions setled hapening date picked night time kep keps
hid hidden saved saving guns razors blades revolver shotgun home house acces tonite next work midnight tel
""".split())
_ANCHORS = frozenset(map(squash, _ANCHOR_WORDS)) | {"kil", "suic", "unal", "sewe", "hopel", "depres", "overdo", "lethal", "hyperv", "hypothe"}


def _index(anchors: frozenset[str]) -> dict[str, tuple[str, ...]]:
    by_prefix: dict[str, tuple[str, ...]] = {}
    for anchor in sorted(anchors):
        by_prefix[anchor[:3]] = (*by_prefix.get(anchor[:3], ()), anchor)
    return by_prefix


_BY_PREFIX = _index(_ANCHORS)


@dataclass(frozen=True)
class _Pattern:
    kind: Kind
    label: Label
    strength: int
    regex: re.Pattern[str]
    anchors: frozenset[str]
    """The anchor words and prefixes its source names; it runs only when the message has one."""
    needed: frozenset[str] | None
    """Strings one of which every match contains (`literals.required`): without one, the search is skipped."""


def _compile(kind: Kind, label: Label, strength: int, source: str) -> _Pattern:
    source = squash(source)
    anchors = frozenset(a for a in _ANCHORS if a in source)
    regex = re.compile(source)
    return _Pattern(kind, label, strength, regex, anchors, literals.required(regex))


_COMPILED = tuple(_compile(*row) for row in _PATTERNS)
_PATTERNS_BY_ANCHOR = {a: frozenset(i for i, p in enumerate(_COMPILED) if a in p.anchors) for a in _ANCHORS}
"""Which patterns (by position) each anchor lets run."""


def _anchors_in(text: str) -> set[str]:
    """The anchors that begin some word of `text`."""
    present = set()
    for w in set(text.split()):
        for key in (w[:3], w[:2]):  # anchors are looked up by their first three letters (or two)
            for a in _BY_PREFIX.get(key, ()):
                if w.startswith(a):
                    present.add(a)
    return present


def _weaken(
    kind: Kind, strength: int, start: int, text: str, banter: bool, gaming: bool, hyperbole: bool, projected: bool
) -> tuple[int, str | None]:
    """How much an exclusion weakens a signal, and which exclusion it was.

    A projection ("asking for a friend", "totally not me") undoes the third-person exclusion.
    A means question stays curiosity unless distress is around (`classify`), so it is not weakened here either.
    """
    # Means within reach count whoever owns them ("my dad keeps a gun in the house").
    if kind not in (Kind.PROJECTED, Kind.MEANS) and not projected and _OTHERS.search(text[max(0, start - 40):start]):
        return 3, "others"
    if kind in _NEVER_WEAKENED:
        return 0, None
    if kind is Kind.SELF_HARM and _ACCIDENT.search(text):
        return 3, "accident"
    if kind is Kind.CODED and _TECH_KMS.search(text):
        return 3, "tech"
    if hyperbole:
        return 2 + banter, "hyperbole"
    if gaming:  # "killing myself" to respawn is a mechanic; "thinking about killing myself" still counts
        mechanic = strength < 3 or _GAME_MECHANIC.search(text)
        return (2 if mechanic else 1) + banter, "gaming"
    if banter:
        return 2 if kind is Kind.PANIC else 1, "banter"
    return 0, None


def scan(text: str) -> tuple[Signal, ...]:
    """Every signal in `text` (already normalised), with exclusions applied."""
    present = _anchors_in(text)
    if not present:
        return ()
    found = []
    for i in sorted(frozenset().union(*map(_PATTERNS_BY_ANCHOR.__getitem__, present))):
        p = _COMPILED[i]
        if not literals.could_match(p.needed, text) or (match := p.regex.search(text)) is None:
            continue
        if not found:  # the exclusions are looked for only once something matched
            banter = bool(_BANTER.search(text))
            gaming = bool(_GAMING.search(text))
            hyperbole = bool(_HYPERBOLE.search(text))
            projected = bool(_PROJECTION.search(text))
        penalty, why = _weaken(p.kind, p.strength, match.start(), text, banter, gaming, hyperbole, projected)
        found.append(Signal(p.kind, p.label, max(0, p.strength - penalty), match.group(0), why))
    return tuple(found)


def classify(signals: tuple[Signal, ...], threshold: int) -> Detection:
    """One label from a message's signals, counting those at least `threshold` strong."""
    live = [s for s in signals if s.strength >= threshold]
    context = {s.kind for s in signals if s.strength >= 1}
    if not live:
        return Detection(Label.NONE, signals)
    kinds = {s.kind for s in live}
    labels = {s.label for s in live}
    ideation = bool(labels & {Label.PASSIVE_IDEATION, Label.ACTIVE_IDEATION})
    # Ideation with a timeframe or means in hand is a plan. Suicidal thoughts join any timeframe,
    # a wish to die only a timeframe with intent; self-harm urges are not a suicide plan.
    active = any(s.label is Label.ACTIVE_IDEATION and s.kind is not Kind.SELF_HARM for s in live)
    timeframe = max((s.strength for s in signals if s.kind is Kind.TIMEFRAME), default=0)
    in_hand = any(s.kind is Kind.MEANS and s.label is Label.NONE and s.strength >= 1 for s in signals)
    planned = (active and timeframe >= 1) or (ideation and (timeframe >= 2 or in_hand))
    if Label.PLAN_OR_IMMINENT in labels or planned:
        return Detection(Label.PLAN_OR_IMMINENT, signals, imminent=True)
    if Kind.MEANS in kinds and Label.CURIOSITY in labels:
        distress = ideation or labels & {Label.DISTRESS, Label.PANIC} or Kind.PROJECTED in context \
            or Kind.STRESSOR in context
        if distress:
            return Detection(Label.MEANS_QUESTION, signals)
        if labels <= {Label.CURIOSITY, Label.NONE}:
            return Detection(Label.CURIOSITY, signals)
    best = max((s.label for s in live if s.label not in (Label.NONE, Label.CURIOSITY)), key=RANK.__getitem__, default=Label.NONE)
    return Detection(best, signals)


# --- the learned scorer's place -----------------------------------------------------------

_LEARNED_LABEL = {
    "distress": Label.DISTRESS, "passive_ideation": Label.PASSIVE_IDEATION,
    "active_ideation": Label.ACTIVE_IDEATION, "plan_or_imminent": Label.PLAN_OR_IMMINENT,
}
# Context in which the scorer may not raise what the rules did not: banter, games, idiom, tech.
_ORDINARY_LEAVING = _exclusion(
    r"\b(?:before the holidays|holidays?|vacation|se you|se ya|se yal|til|until|next (?:week|month|year)|tomorow|tmrw|"
    r"new job|moving|migrating|brb|for now|later|gn|god night|night al|semester|exams?)\b"
)
"""A reason to leave that is not dying: the scorer may not read such a goodbye as one."""
_NOT_SERIOUS = (_BANTER, _GAMING, _HYPERBOLE, _TECH_KMS, _ORDINARY_LEAVING)
_LEARNED_MIN_WORDS = 3
"""Shorter messages ("iiii", "kms") are the rules' alone: n-grams of one word say too little."""
_CUE_KINDS = {Kind.PREPARATION, Kind.PLAN, Kind.FAREWELL}
"""Deterministic evidence that a learned imminent needs (a preparation, a goodbye, a decision); means count too.
A bare time does not: it is everywhere in ordinary talk."""
_MEANS_NOUN = _exclusion(r"\b(?:pils|tablets|meds|rope|nose|gun|pistol|rifle|knife|blade|razor|bridge|rof|ledge|tracks|clif|overpas|garage)s?\b")
# Worry about someone else: a relative or friend is the subject, or the speaker asks how to help them.
_CONCERN = _exclusion(
    r"\b(?:worried|scared|concerned|afraid|terrified|frightened) (?:about|for) (?:my|a|our|this|one of|someone)\b|"
    r"\bhow (?:do|can|should) (?:i|we) (?:help|talk to|support|handle|bring it up)\b|\bwhat (?:do|should) (?:i|we) (?:say|do)\b|"
    r"\b(?:my|our|a) (?:\w+ )?(?:friend|son|daughter|kid|child|teenager|brother|sister|mom|mum|dad|mother|father|wife|husband|"
    r"partner|boyfriend|girlfriend|roommate|coworker|cousin|grandfather|grandmother|grandpa|grandma|ex|student|students|uncle|aunt)s?\b"
    r"(?: \w+){0,6} (?:said|says|told|keeps|kep|talks|talking|has|hasnt|posted|texted|left|wrote|searched|is|isnt|thinks|might|wants|gave)\b|"
    r"\b(?:a|one) (?:guy|girl|kid|person|student) (?:in|at|from) my\b|\bsomeone (?:in|at|from) my\b"
)


# Someone's safety is the topic, whoever's it is: with a projection marker it is the speaker's.
_RISK_TOPIC = _exclusion(
    r"\b(?:die|dying|suicid\w*|kil+(?:ing)? (?:him|her|them|my)sel\w*|end (?:it|things|his life|her life|their life)|"
    r"ending (?:it|things)|hurt(?:ing)? (?:him|her|them)sel\w*|self ?harm\w*|cut+ing|(?:dont|doesnt|not) (?:want|wanna) to live|"
    r"beter of+ without|godbye|overdos\w*|not safe|disapear forever|kms|kil my ?self|unalive|rope|nose|be alive|to live|stop wanting to die)\b"
)
_MEANS_ASKED = _exclusion(r"\bhow (?:many|much|high|long|far)\b.{0,40}\b(?:pils|tablets|meds|insulin|paracetamol|bridge|flor|fal|take)\b|\bwhich (?:bridge|building|rof)\b.{0,30}\b(?:highest|talest)\b")


def _cue(detection: Detection, norm: str) -> bool:
    return any(s.kind in _CUE_KINDS or (s.kind is Kind.MEANS and s.label is Label.NONE) for s in detection.signals) \
        or bool(_MEANS_NOUN.search(norm))


def combine(rules: Detection, score: learned.Score, norm: str) -> Detection:
    """The rules' detection, raised where the learned scorer saw risk the rules missed.

    Deterministic code still carries safety: the scorer never changes a risk label the rules gave, never speaks
    over banter, game talk, idiom, tech or a signal an exclusion weakened, turns worry about someone else into `concern`
    (unless the "friend" is a projection), and an imminent from it alone needs a
    deterministic cue (means, a preparation, a goodbye or a decision), else it is read as active ideation.
    """
    projected = any(s.kind is Kind.PROJECTED and s.strength >= 1 for s in rules.signals)
    if rules.is_risk:  # the scorer speaks only where the rules saw no risk
        return rules
    about_someone = score.flagged or any(s.label in RISK_LABELS or s.excluded_by == "others" for s in rules.signals)
    if not projected and (score.label == "concern" or ((about_someone or _RISK_TOPIC.search(norm)) and _CONCERN.search(norm))):
        return Detection(Label.CONCERN, rules.signals)
    if projected and (_RISK_TOPIC.search(norm) or _MEANS_ASKED.search(norm)):  # the "friend" is the speaker
        raised = Label.MEANS_QUESTION if _MEANS_ASKED.search(norm) else min(
            _LEARNED_LABEL[score.worst], Label.ACTIVE_IDEATION, key=RANK.__getitem__)
        return Detection(raised, (*rules.signals, Signal(Kind.PROJECTED, raised, 3, "projected risk topic")))
    if not score.flagged or norm.count(" ") < _LEARNED_MIN_WORDS - 1 or any(x.search(norm) for x in _NOT_SERIOUS) or any(s.excluded_by for s in rules.signals):
        return rules
    raised = _LEARNED_LABEL[score.worst]
    if raised is Label.PLAN_OR_IMMINENT and not _cue(rules, norm):
        raised = Label.ACTIVE_IDEATION  # no evidence for "imminent": the bot asks directly; context may add the rest
    if rules.label is Label.CURIOSITY:
        raised = max(raised, Label.MEANS_QUESTION, key=RANK.__getitem__)
    signal = Signal(Kind.LEARNED, raised, 3, f"{score.worst} p={score.risk:.2f}")
    return Detection(raised, (*rules.signals, signal), imminent=raised is Label.PLAN_OR_IMMINENT)


def rules_only(norm: str, sensitivity: str = "normal") -> Detection:
    """The deterministic rules alone on normalised text (training picks the scorer's threshold against them)."""
    signals = scan(norm)
    if not signals:
        return NO_DETECTION
    return classify(signals, SENSITIVITY_THRESHOLD.get(sensitivity, 2))


def detect(text: str, sensitivity: str = "normal") -> Detection:
    """Stage one on raw message text: normalise, scan and classify by rule, then let the scorer raise.

    `sensitivity` is the community's `care.sensitivity` (low|normal|high);
    an unknown value is treated as normal.
    """
    norm = normalize(text)
    rules = rules_only(norm, sensitivity)
    if rules.is_risk:  # `combine` keeps a risk the rules saw as it is: the scorer would not be read
        return rules
    return combine(rules, learned.score_normalised(norm), norm)
