"""What a text does that a norm may forbid: pings, emoji, swearing, lists, questions, a topic, a language.

Pure functions over text, shared by the two readers of a bot message: the we
model, to tell what a member reacting to it disliked, and the guard, to check and
rewrite a reply before anyone sees it.
"""

from __future__ import annotations

import re

MENTION = re.compile(r"<@[!&]?\w+>|<!\w+(?:\|[^>]*)?>|(?<![\w.])@\u200b?[\w.-]+")
"""A platform mention token, or `@name` (also as defused with a zero-width space)."""

EMOJI = re.compile(
    "(?:[\U0001f000-\U0001faff\U00002600-\U000027bf\U00002b00-\U00002bff\U0001f1e6-\U0001f1ff]"
    "[\ufe0f\u200d\U0001f3fb-\U0001f3ff]*)+"
    r"|(?<![\w:/])(?::-?[)(DPp]|;-?\)|<3|:-?[oO]|\^_\^|xD|XD)(?![\w])"
    r"|(?<![\w:]):[a-z0-9_+-]{2,30}:(?![\w:])"
)
"""Pictographs (with their joiners and skin tones), ASCII emoticons, and `:shortcode:` emoji."""

PROFANITY = re.compile(
    r"\b(?:f+u+c+k\w*|motherf\w*|sh[i1]t\w*|bullshit|crap\w*|damn\w*|goddamn\w*|bitch\w*|bastard\w*|"
    r"ass(?:hole|holes|hat)?|arse\w*|dick(?:head)?s?|piss\w*|bollocks|bugger\w*|wank\w*|twat\w*|cunt\w*|"
    r"wtf|stfu|omfg|hell(?= no| yeah| of)|bloody|frick\w*|freaking)\b",
    re.I,
)
LIST_ITEM = re.compile(r"(?:^|\n|\s)(?:[-*•·▪►]\s+|\d{1,2}[.)]\s+(?=\S))")
MARKDOWN = re.compile(r"\*\*|__|`{1,3}|^#{1,6}\s|(?<=\s)#{1,6}\s|(?<!\w)\*(?=\S)[^*]+(?<=\S)\*(?!\w)")
SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+|$)\s*")

TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "politics": ("politic", "election", "elect", "vote", "voting", "president", "government", "democrat",
                 "republican", "parliament", "congress", "senat", "campaign", "left-wing", "right-wing",
                 "liberal", "conservative", "prime minister", "policy", "policies", "trump", "biden"),
    "crypto": ("crypto", "bitcoin", "btc", "ethereum", "eth", "blockchain", "nft", "token", "altcoin", "coin",
               "web3", "defi", "dogecoin", "solana", "hodl"),
    "religion": ("religio", "god", "church", "faith", "pray", "bible", "jesus", "allah", "mosque", "temple",
                 "atheis", "christian", "muslim", "islam", "hindu", "buddhis", "jewish", "judaism"),
    "sports": ("sport", "football", "soccer", "basketball", "baseball", "nba", "nfl", "match", "league",
               "team", "score", "cricket", "tennis", "hockey"),
    "work": ("work", "job", "boss", "office", "deadline", "meeting", "manager", "career"),
    "money": ("money", "salary", "price", "cost", "dollar", "euro", "pay", "budget", "invest", "stock"),
    "weather": ("weather", "rain", "sunny", "snow", "forecast", "temperature", "storm", "cloud"),
    "food": ("food", "eat", "dinner", "lunch", "breakfast", "recipe", "cook", "pizza", "restaurant", "meal"),
    "diet": ("diet", "calorie", "weight loss", "keto", "fasting", "carbs"),
    "covid": ("covid", "pandemic", "vaccin", "lockdown", "virus", "mask"),
    "war": ("war", "army", "military", "invasion", "missile", "soldier", "battle"),
}  # fmt: skip
"""Words that bring up a topic a group often bans; any other topic is matched by its own words."""

STOPWORDS: dict[str, frozenset[str]] = {
    "English": frozenset("the and is are you that it to of in for with this what have be was not but i we they "
                         "do can just so my your me at on it's don't there would will about".split()),
    "Spanish": frozenset("el la los las que es y en un una de por para con no se lo su pero como más muy "
                         "está estoy eso esto yo tú nosotros hola sí también hay qué cómo del al".split()),
    "French": frozenset("le la les et est un une de des que qui pour avec pas ne je tu nous vous ce c'est "
                        "mais sur dans au aux du très oui bonjour".split()),
    "German": frozenset("der die das und ist ein eine nicht ich du wir sie es mit für auf zu den dem des "
                        "auch aber sehr ja hallo wie was".split()),
    "Portuguese": frozenset("o a os as que é e em um uma de por para com não se eu você nós mas muito "
                            "está isso olá sim também do da".split()),
    "Italian": frozenset("il lo la gli le che è e in un una di per con non si io tu noi ma molto sono "
                         "questo ciao sì anche del della".split()),
    "Dutch": frozenset("de het een en is dat niet ik je jij wij we zijn met voor op ook maar heel hallo "
                       "wat hoe van".split()),
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
MIN_WORDS = 4
"""A text shorter than this many words is too short to tell its language."""


def mentions_someone(text: str) -> bool:
    return bool(MENTION.search(text))


def has_emoji(text: str) -> bool:
    return bool(EMOJI.search(text))


def has_profanity(text: str) -> bool:
    return bool(PROFANITY.search(text))


def has_list(text: str) -> bool:
    return bool(LIST_ITEM.search(text) or MARKDOWN.search(text))


def asks(text: str) -> bool:
    return "?" in text


def topic_pattern(topic: str) -> re.Pattern[str]:
    """What brings up `topic`: its own words (as word starts) and, for a known one, its family."""
    words = [w for w in re.split(r"\s+", topic.casefold()) if len(w) >= 3] or [topic.casefold()]
    known = [s for name, stems in TOPIC_WORDS.items() if any(w.startswith(name[:5]) for w in words) for s in stems]
    stems = sorted({re.escape(w.rstrip("s")) for w in words} | {re.escape(s) for s in known}, key=len, reverse=True)
    return re.compile(rf"\b(?:{'|'.join(stems)})", re.I)


def brings_up(text: str, topic: str) -> bool:
    return bool(topic_pattern(topic).search(text))


def language_of(text: str) -> str | None:
    """The language `text` is most likely in, by common words; None when too short or unclear."""
    words = [w.casefold() for w in _WORD.findall(text)]
    if len(words) < MIN_WORDS:
        return None
    counts = {lang: sum(w in common for w in words) for lang, common in STOPWORDS.items()}
    best = max(counts, key=lambda lang: counts[lang])
    ranked = sorted(counts.values(), reverse=True)
    if ranked[0] < 2 or ranked[0] == ranked[1]:
        return None
    return best


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE.findall(text) if s.strip()]
