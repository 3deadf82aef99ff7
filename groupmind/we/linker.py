"""The learned reply-to linker: which earlier message a new one answers, or none.

For each new message every message in the window before it is a candidate, and
so is the message itself (a message linked to itself starts a conversation, as
in the `#ubuntu` annotation). Each candidate gets a row of cues in the spirit
of Kummerfeld et al. (2019): time gap, distance, who spoke, nicks named (in
full or by prefix), who named whom before, shared and rare shared words,
question/answer cues. A small network scores the rows and the best one wins.

The state is incremental (arrays over the window, inverted indexes for words
and mentions), so one link costs a handful of numpy calls over the window
rather than a Python loop over it. Every cue reads the window alone (an index
entry older than the window counts as absent), so a linker fed message by
message links exactly as one rebuilt from the same window: the room resumes
one per channel and rebuilds only when its stored window differs. Weights (`linker.npz`) are written by
`bench/train_linker.py`; inference needs only numpy.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple

import numpy as np

from groupmind.events import ChatMessage
from groupmind.we.lexicon import STOPWORDS, content_words

WINDOW = 100
"""Earlier messages a message may answer (the paper's window)."""
MAX_CHARS = 1_000
"""Only a message's start is read: the cost of a link stays bounded."""
MAX_TOKENS = 60
STEM = 6
"""Words are compared by their first letters: "drivers" shares a word with "driver"."""
MIN_PREFIX = 3
"""A nick may be named by a prefix this long ("kumm: ..." for kummerfeld), as a message's first word."""
COMPACT_PER_SLOT = 30
"""Index entries (words, nicks, speakers) per window slot after which the indexes are rebuilt from the
window alone: memory stays bounded by the window, and a rebuild comes every few hundred messages."""
WEIGHTS = Path(__file__).with_name("linker.npz")

_TRIM = ":,.;!?()\"'@<>*~"
_TOKEN = re.compile(r"[^\s:,.;!?()\"'@<>*~]+")
_ANSWER = frozenset(
    "yes yeah yep yup no nope nah thanks thank thx ty tnx ok okay k sure np right correct exactly indeed "
    "true agreed cool great nice perfect ah oh hmm well it that".split()
)
_GREETING = frozenset("hi hello hey hiya howdy anyone anybody someone somebody greetings morning evening".split())
_NICK_TAIL = re.compile(r"[_\d|^`-]+$|\|.*$")

FEATURES = (
    # the candidate in relation to the new message
    "self", "log_distance", "adjacent", "log_gap",
    # ... its speaker compared with one speaker of interest each (in `rows`' key order)
    "same_speaker", "names_candidate", "leads_with_candidate", "speaker_last_named_author",
    "author_last_named_speaker",
    "same_target", "candidate_names_author", "latest_of_its_speaker", "own_previous", "after_own_previous",
    "latest_naming_author", "overlap_idf", "overlap_count", "overlap_rarest", "own_previous_same_target",
    "author_named_speaker_before", "speaker_named_author_before", "overlap_with_speaker", "overlap_with_own_previous",
    # the candidate alone (kept per message as it is added)
    "candidate_question", "candidate_names_anyone", "candidate_words", "candidate_fresh", "candidate_answer_cue",
    "candidate_greeting",
    # the new message alone
    "question", "answer_cue", "greeting", "names_anyone", "words", "new_speaker", "log_own_gap", "log_last_gap",
    "named_since_own",
)
(_SELF, _DISTANCE, _ADJACENT, _GAP, _SAME_SPEAKER, _NAMES, _LEADS, _LAST_NAMER, _AUTHOR_NAMED, _SAME_TARGET,
 _NAMES_AUTHOR, _LATEST, _OWN, _AFTER_OWN, _LATEST_NAMING, _OVERLAP, _OVERLAP_COUNT, _RAREST, _OWN_SAME_TARGET,
 _AUTHOR_NAMED_BEFORE, _SPEAKER_NAMED_BEFORE, _SPEAKER_OVERLAP, _OWN_OVERLAP, _ALONE) = range(24)
_NEW = FEATURES.index("question")
_FRESH = FEATURES.index("candidate_fresh")


@dataclass(frozen=True)
class Said:
    """What the linker reads in one text; depends on the text alone, so it is cached."""

    tokens: tuple[str, ...]
    """Casefolded tokens, end punctuation trimmed: where nicks are looked for."""
    later: frozenset[str]
    """The tokens after the first (where only full nicks count), for one set intersection with the nicks."""
    words: tuple[str, ...]
    """Distinct content words, sorted: shared-word cues add up in the same order in every process."""
    question: bool
    answer_cue: bool
    greeting: bool
    n_words: int


@lru_cache(maxsize=8192)
def said(text: str) -> Said:
    """Read `text` once: the window re-reads the same messages when it is rebuilt."""
    head = text[:MAX_CHARS]
    folded = head.casefold()
    tokens = tuple(_TOKEN.findall(folded)[:MAX_TOKENS])
    first = tokens[0] if tokens else ""
    return Said(
        tokens=tokens,
        later=frozenset(tokens[1:]),
        words=tuple(sorted({w[:STEM] for w in content_words(head)})),
        question="?" in head,
        answer_cue=first in _ANSWER,
        greeting=first in _GREETING or bool(set(tokens[:3]) & _GREETING),
        n_words=len(folded.split()),
    )


@lru_cache(maxsize=8192)
def name_keys(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """How a nick may be written when someone names it: (in full or without its tail, by a prefix)."""
    full = name.casefold().strip(_TRIM)
    if not full:
        return (), ()
    base = _NICK_TAIL.sub("", full) or full
    exact = tuple(key for key in dict.fromkeys((full, base)) if key not in STOPWORDS)  # "for" is not the nick For
    return exact, tuple(full[:n] for n in range(MIN_PREFIX, len(full)) if full[:n] not in STOPWORDS)


class Model(NamedTuple):
    """A one-hidden-layer network over standardised cue rows, as the weight file holds it."""

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float


class Net:
    """A `Model` with its standardisation folded into the first layer, in float32.

    float32 because small float64 products are several times slower here, and the
    links are the same: a score's rounding moves no argmax but for exact ties.
    The new message's own cues are the same in every row, so they enter once, as a bias.
    """

    def __init__(self, weights: Model) -> None:
        w1 = (weights.w1 / weights.scale[:, None]).astype(np.float32)
        self._w1, self._w1_new = w1[:_NEW].copy(), w1[_NEW:].copy()
        self._b1 = (weights.b1 - (weights.mean / weights.scale) @ weights.w1).astype(np.float32)
        self._w2 = weights.w2.astype(np.float32)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """One score per row; the argmax is the link (the output bias changes no argmax)."""
        rows = rows.astype(np.float32, copy=False)
        hidden = rows[:, :_NEW] @ self._w1
        hidden += rows[-1, _NEW:] @ self._w1_new + self._b1
        return np.maximum(hidden, 0.0, out=hidden) @ self._w2


def save(path: Path, model: Model, inputs: str = "") -> None:
    """Write `model` as float32; `inputs` fingerprints what it was trained from (see bench/train_linker.py)."""
    np.savez_compressed(path, features=np.array(FEATURES), inputs=np.array(inputs), **{
        k: np.asarray(v, dtype=np.float32) for k, v in model._asdict().items()})


def load(path: Path = WEIGHTS) -> Model:
    with np.load(path) as f:
        if tuple(f["features"].tolist()) != FEATURES:
            raise ValueError(f"{path} was trained on other features; retrain with bench/train_linker.py")
        return Model(*(f[k].astype(np.float64) for k in Model._fields[:-1]), float(f["b2"]))


@lru_cache(maxsize=1)
def shipped() -> Net:
    """The shipped model, loaded once."""
    return Net(load())


class Choice(NamedTuple):
    """The candidate a message answers (None: it starts a conversation) and why, in words."""

    parent: int | None
    """Index into the linker's window, oldest first."""
    reason: str


class Linker:
    """Reply-to links over a sliding window of one channel, fed message by message."""

    def __init__(self, window: int = WINDOW, weights: Model | None = None) -> None:
        self.window = max(1, window)
        window = self.window
        self._net = Net(weights) if weights is not None else None
        """None: the shipped model, loaded when first needed (training reads rows without it)."""
        self.messages: deque[ChatMessage] = deque(maxlen=window)
        size = 2 * window
        self._ts = np.zeros(size)
        self._speaker = np.zeros(size, dtype=np.int64)
        self._target = np.full(size, -1, dtype=np.int64)
        """The speaker each message named first (-1: none)."""
        self._prev = np.full(size, -1, dtype=np.int64)
        """Global index of the same speaker's message before each message (-1: none)."""
        self._alone = np.zeros((_NEW - _ALONE, size))
        """The candidate-alone cues of each message."""
        self._distance = np.zeros((2, window))
        self._distance[0] = np.log1p(np.arange(window, 0, -1, dtype=np.float64))
        self._distance[1, -1] = 1.0
        self._pending: tuple[ChatMessage, Said, int, list[int]] | None = None
        self._compact_at: float = COMPACT_PER_SLOT * window
        self._start = 0
        """Where the window starts in the arrays; `_count` messages follow it."""
        self._count = 0
        self._n = 0
        """Messages seen: the global index of the next one."""
        self._reset_indexes()

    def _reset_indexes(self) -> None:
        self._sid: dict[str, int] = {}
        self._exact: dict[str, tuple[int, int]] = {}
        self._prefix: dict[str, tuple[int, int]] = {}
        """Nick key -> (speaker, global index of the latest message whose author it fits)."""
        self._last = np.full(16, -1, dtype=np.int64)
        """Global index of each speaker's latest message."""
        self._named_last: dict[int, tuple[int, int]] = {}
        """Speaker -> (the speaker they named most recently, the global index of that message)."""
        self._naming: dict[int, deque[int]] = {}
        """Speaker -> global indexes of window messages naming them."""
        self._with_word: dict[str, deque[int]] = {}

    def _speaker_id(self, author_id: str) -> int:
        sid = self._sid.get(author_id)
        if sid is None:
            sid = self._sid[author_id] = len(self._sid)
            if sid >= len(self._last):
                self._last = np.concatenate([self._last, np.full(len(self._last), -1, dtype=np.int64)])
        return sid

    def _in_window(self, entry: tuple[int, int] | None) -> int | None:
        """The speaker of an index entry, if the message that made it is still in the window."""
        return entry[0] if entry is not None and entry[1] >= self._n - self._count else None

    def _exact_nick(self, token: str) -> int | None:
        return self._in_window(self._exact.get(token))

    def _nick(self, token: str) -> int | None:
        hit = self._exact_nick(token)
        return self._in_window(self._prefix.get(token)) if hit is None else hit

    def _named(self, msg: ChatMessage, text: Said, sid: int) -> list[int]:
        """Speakers `msg` names (platform mentions, then nicks in its text), first named first."""
        oldest = self._n - self._count
        found = [s for m in msg.mentions if (s := self._sid.get(m)) is not None and self._last[s] >= oldest]
        if not text.tokens:
            return [s for s in found if s != sid]
        hits = [self._nick(text.tokens[0])]  # a prefix only leads: "kumm: hi"
        if later := text.later & self._exact.keys():  # most messages name nobody past their first word
            hits += [self._exact_nick(t) for t in text.tokens[1:] if t in later]
        for hit in hits:
            if hit is not None and hit != sid and hit not in found:
                found.append(hit)
        return [s for s in found if s != sid]

    def _recent(self, index: deque[int] | tuple[()]) -> deque[int] | tuple[()]:
        """`index` without the messages that left the window."""
        oldest = self._n - self._count
        while index and index[0] < oldest:
            index.popleft()
        return index

    def _read(self, msg: ChatMessage) -> tuple[Said, int, list[int]]:
        """What `msg` says, its speaker and whom it names; kept from `rows` for the `add` after it."""
        if self._pending is not None and self._pending[0] is msg:
            return self._pending[1:]
        text = said(msg.text)
        sid = self._speaker_id(msg.author_id)
        named = self._named(msg, text, sid)
        self._pending = (msg, text, sid, named)
        return text, sid, named

    def rows(self, msg: ChatMessage) -> np.ndarray:
        """Cue rows for every candidate: the window oldest first, then `msg` itself.

        Built column by column (a transposed view is returned): most cues are one
        comparison of the window's speakers against a speaker of interest, done at once.
        """
        text, sid, named = self._read(msg)
        n, lo = self._count, self._start
        hi = lo + n
        g = self._n
        first = g - n
        cols = np.zeros((len(FEATURES), n + 1), dtype=np.float32)
        cols[_SELF, n] = 1.0
        ts = msg.ts.timestamp()
        own = int(self._last[sid])
        own_at = own - first if own >= first else -1
        naming_me = self._recent(self._naming.get(sid, ()))
        own_gap = ts - self._ts[lo + own_at] if own_at >= 0 else 3600.0
        last_gap = ts - self._ts[hi - 1] if n else 3600.0
        cols[_NEW:] = np.array((
            float(text.question), float(text.answer_cue), float(text.greeting), float(bool(named)),
            math.log1p(text.n_words), float(own_at < 0), math.log1p(max(own_gap, 0.0) / 60.0),
            math.log1p(max(last_gap, 0.0) / 60.0), float(bool(naming_me) and naming_me[-1] > own),
        ))[:, None]
        if not n:
            return cols.T
        speaker = self._speaker[lo:hi]
        named0 = named[0] if named else -2
        lead = named0 if named and text.tokens and self._nick(text.tokens[0]) == named0 else -2
        last_namer = int(self._speaker[lo + naming_me[-1] - first]) if naming_me else -2
        named_last = self._in_window(self._named_last.get(sid))
        keys = np.array((sid, named0, lead, last_namer, -2 if named_last is None else named_last))
        cols[_SAME_SPEAKER : _AUTHOR_NAMED + 1, :n] = speaker == keys[:, None]
        for other in named[1:]:
            cols[_NAMES, :n] += speaker == other
        if named:
            cols[_SAME_TARGET, :n] = self._target[lo:hi] == named0
        cols[_DISTANCE : _ADJACENT + 1, :n] = self._distance[:, -n:]
        gap = ts - self._ts[lo:hi]
        np.maximum(gap, 0.0, out=gap)
        gap /= 60.0
        np.log1p(gap, out=cols[_GAP, :n])
        if naming_me:
            at = [i - first for i in naming_me]
            cols[_NAMES_AUTHOR, at] = 1.0
            cols[_LATEST_NAMING, at[-1]] = 1.0
            cols[_SPEAKER_NAMED_BEFORE, :n] = self._among(speaker, speaker[at])
        cols[_LATEST, :n] = self._last[speaker] == np.arange(first, g)
        if own_at >= 0:
            cols[_AUTHOR_NAMED_BEFORE, :n] = self._among(speaker, self._target[lo:hi][speaker == sid])
            cols[_OWN, own_at] = 1.0
            cols[_OWN_SAME_TARGET, own_at] = named0 >= 0 and self._target[lo + own_at] == named0
            cols[_AFTER_OWN, own_at + 1 : n] = 1.0
        else:
            cols[_AFTER_OWN, :n] = 1.0
        self._overlap(text, cols, n, first)
        cols[_SPEAKER_OVERLAP, :n] = np.bincount(speaker, cols[_OVERLAP, :n], minlength=len(self._sid))[speaker]
        if own_at >= 0:
            hits = self._shared(said(self.messages[own_at].text), first)
            if hits is not None:
                cols[_OWN_OVERLAP, :n] = np.bincount(hits[0], hits[1], minlength=n)
                cols[_OWN_OVERLAP, own_at] = 0.0
        cols[_ALONE:_NEW, :n] = self._alone[:, lo:hi]
        cols[_FRESH, :n] = self._prev[lo:hi] < first
        return cols.T

    def _among(self, speaker: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Whether each of `speaker` is one of `chosen` (-1s ignored): one lookup table, not a search."""
        table = np.zeros(len(self._sid) + 1, dtype=bool)
        table[chosen] = True
        table[-1] = False
        return table[speaker]

    def _overlap(self, text: Said, cols: np.ndarray, n: int, first: int) -> None:
        """Shared words, weighted by how rare they are in the window (as if full: small rooms weigh alike)."""
        hits = self._shared(text, first)
        if hits is None:
            return
        pos, w = hits
        cols[_OVERLAP, :n] = np.bincount(pos, w, minlength=n)
        cols[_OVERLAP_COUNT, :n] = np.bincount(pos, minlength=n)
        cols[_RAREST, pos] = w

    def _shared(self, text: Said, first: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The window positions holding each of `text`'s words and the words' weights, rarest last; None: none."""
        shared = []
        for word in text.words:
            index = self._with_word.get(word)
            if index and (hits := self._recent(index)):
                shared.append((math.log((WINDOW + 1) / len(hits)), hits))
        if not shared:
            return None
        shared.sort(key=lambda pair: pair[0])  # rarest last: its weight is the one a candidate keeps in `_overlap`
        pos = np.array([i - first for _, hits in shared for i in hits])
        return pos, np.array([idf for idf, hits in shared for _ in hits])

    def choose(self, msg: ChatMessage) -> Choice:
        """The candidate `msg` answers, by the model; `msg` is not added (see `add`)."""
        rows = self.rows(msg)
        best = self.best(rows)
        if best is None:
            return Choice(None, "starts a conversation")
        return Choice(best, self._why(rows[best], self.messages[best].author_name))

    def best(self, rows: np.ndarray) -> int | None:
        """The window index of the best-scored candidate of `rows`; None when it is the message itself."""
        best = int(np.argmax((self._net or shipped()).scores(rows)))
        return None if best == self._count else best

    @staticmethod
    def _why(row: np.ndarray, name: str) -> str:
        """The strongest plain cue of the chosen row, for the link's reason."""
        if row[_NAMES]:
            return f"addressed to {name}"
        if row[_NAMES_AUTHOR]:
            return f"answers {name}, who addressed them"
        if row[_OWN]:
            return "continues their own message"
        if row[_OVERLAP] > 0:
            return f"shares words with {name}"
        return f"follows {name}"

    def add(self, msg: ChatMessage) -> None:
        """Put `msg` in the window, as the newest candidate for the messages after it."""
        text, sid, named = self._read(msg)
        self._pending = None
        exact, prefixes = name_keys(msg.author_name)
        g = self._n
        for key in exact:
            self._exact[key] = (sid, g)
        for key in prefixes:
            self._prefix[key] = (sid, g)  # the latest speaker a prefix fits wins it
        if self._count == self.window:
            self._start += 1
            self._count -= 1
        pos = self._start + self._count
        if pos == len(self._ts):
            for arr in self._columns():
                arr[: self._count] = arr[self._start : pos]
            self._start, pos = 0, self._count
        self._ts[pos] = msg.ts.timestamp()
        self._speaker[pos] = sid
        self._target[pos] = named[0] if named else -1
        self._alone[:, pos] = (text.question, bool(named), math.log1p(text.n_words), 0.0, text.answer_cue,
                               text.greeting)  # whether it is fresh depends on the window: see `rows`
        self._prev[pos] = self._last[sid]
        self._last[sid] = g
        if named:
            self._named_last[sid] = (named[0], g)
        for other in named:
            self._naming.setdefault(other, deque()).append(g)
        for word in text.words:
            self._with_word.setdefault(word, deque()).append(g)
        self.messages.append(msg)
        self._count += 1
        self._n += 1
        if self._entries() > self._compact_at:
            self._compact()

    def _columns(self) -> tuple[np.ndarray, ...]:
        return self._ts, self._speaker, self._target, self._prev, self._alone.T

    def _compact(self) -> None:
        """Forget words and nicks that left the window: memory stays bounded on endless streams."""
        kept = list(self.messages)
        self._reset_indexes()
        self._start = self._count = 0
        self._n -= len(kept)
        self.messages.clear()
        self._compact_at = math.inf
        for msg in kept:
            self.add(msg)
        self._compact_at = max(COMPACT_PER_SLOT * self.window, 2 * self._entries())  # a wordy window: not every add

    def _entries(self) -> int:
        return len(self._with_word) + len(self._prefix) + len(self._sid)


def replay(messages: Iterable[ChatMessage], window: int = WINDOW) -> Linker:
    """A linker whose window holds `messages` (oldest first)."""
    linker = Linker(window)
    for msg in messages:
        linker.add(msg)
    return linker
