"""Benchmark: what the bot's replies are worth in group rooms, for whatever model is configured, before and after.

The rooms of bench/rooms.py (bench/data/quality_scenarios.txt, then we_scenarios.txt)
are played through the real pipeline with the configured model (`Settings`: the
default GGUF unless GROUPMIND_MODEL says otherwise), greedy and seeded, by this
tree and by the tree of `--baseline-ref` (a git worktree of that commit, played
in a subprocess by the same bench/rooms.py), and a third time by this tree with
the grounding bar off, to show where the bar sits. All are scored here, alike:

- grounded_answers: share of direct questions (a message naming the bot with a "?")
  answered, before the next one, by a reply sharing a content word with the question;
- ungrounded: share of replies sharing no content word with anything a member said;
- repeats: replies that are near-copies of one the bot gave earlier in the room;
- loops: replies that say one sentence twice within themselves;
- mention_runs: replies whose own words run mentions or names together or are mostly names,
  or that are shown as a roll call (three `@` names in a row) or mostly mentions;
- identity_breaks: replies that claim to be human or speak as another (`guard.identity`);
- silence_right: share of pauses labelled silent where the bot said nothing;
- speak_accuracy, mirror and gini as bench/we.py measures them: the Gini of whom the
  replies address, from the model's own words, never the `@` leads the pipeline adds;
- honest: replies that are the fixed honest line of a bot with nothing good to say.

    PYTHONPATH=. python bench/quality.py [--limit 8] [--max-tokens 48] [--baseline-ref ce15abf] [--also ENV=VALUE]

The last line printed is the JSON summary: each run's figures, the deltas and ratios
of this tree against the baseline, and the sweep of the bar over the bar-off run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import mean

from bench.rooms import Outcome, Said, Scenario, all_scenarios
from bench.scores import agreement, gini
from groupmind.config import Settings
from groupmind.guard.grounding import grounding, name_words
from groupmind.guard.identity import claims_human, speaks_as_another
from groupmind.guard.mentions import mention_run
from groupmind.guard.similar import near_copy, normal
from groupmind.guard.verdict import Reason
from groupmind.guard.write import HONEST
from groupmind.we.lexicon import words
from groupmind.we.mirror import mirror_index

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ROOT / "bench" / "rooms.py"
BASELINE_REF = "ce15abf"
"""The main commit before issue 17 (prompting, grounding, this bench)."""
BAR = "GROUPMIND_GROUNDING_MIN"
SWEEP = (0.0, 0.1, 0.2, 0.3, 0.5)
MOSTLY_NAMES = 0.5
"""A reply whose words are more than this share member names (two at least) is a roll call, not a reply."""
SENTENCE = re.compile(r"[.!?…]+")
ROLL_CALL = re.compile(r"^(?:@\S+\s+){3,}")


def played(tree: Path, limit: int | None, max_tokens: int, env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    """The outcomes of playing the rooms with the groupmind of `tree`, in a subprocess."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, str(ROOMS), "--out", out.name, "--max-tokens", str(max_tokens)]
        if limit is not None:
            command += ["--limit", str(limit)]
        subprocess.run(command, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(tree)}, check=True)
        return json.loads(Path(out.name).read_text(encoding="utf-8"))


def outcomes(raw: dict) -> list[Outcome]:  # type: ignore[type-arg]
    return [Outcome(room["spoke"], [Said(**said) for said in room["replies"]]) for room in raw["rooms"]]


def asks_bot(text: str, bot: str) -> bool:
    """A direct question: the bot's name as a word, and a question mark."""
    return "?" in text and re.search(rf"(?<!\w)@?{re.escape(bot)}(?!\w)", text, re.IGNORECASE) is not None


def loops(own: str) -> bool:
    """The reply says one sentence of two words or more twice ("I'm not sure. I'm not sure.")."""
    sentences = [normal(part) for part in SENTENCE.split(own)]
    said = [sentence for sentence in sentences if len(sentence.split()) >= 2]
    return len(said) != len(set(said))


def mention_heavy(said: Said, names: set[str]) -> bool:
    """The model's own words run mentions or names together or are mostly names, or the reply as
    shown (leads and all) opens with a roll call of three or more, or is mostly mentions."""
    if mention_run(said.own, names).reason is Reason.MENTIONS:
        return True
    own = words(said.own)
    parts = name_words(names)
    named = sum(w.lstrip("@") in parts for w in own)
    if named >= 2 and named > MOSTLY_NAMES * len(own):
        return True
    shown = said.shown.split()
    return ROLL_CALL.match(said.shown) is not None or sum(w.startswith("@") for w in shown) > len(shown) / 2


def score(scenarios: list[Scenario], results: list[Outcome], bot: str, bar: float = 0.0) -> dict[str, float]:
    """The figures of one run; replies whose grounding is below `bar` count as withheld (the sweep)."""
    asked = grounded = replies = ungrounded = repeats = looping = runs = identity = honest = withheld = 0
    mirrors: list[float] = []
    ginis: list[float] = []
    decided: list[bool] = []
    labelled: list[bool] = []
    for scenario, outcome in zip(scenarios, results):
        names = {m.author_name for m in scenario.messages} | {bot}
        kept: list[Said] = []
        for said in outcome.replies:
            heard = [m.text for m in scenario.messages[: said.index + 1]]
            if said.own not in HONEST and grounding(said.own, heard, names) < bar:
                withheld += 1
                continue
            kept.append(said)
        spoke = [any(s.index == i for s in kept) for i in range(len(scenario.messages))]
        decided += spoke
        labelled += scenario.labels
        counts: dict[str, int] = {}
        active: set[str] = set()
        earlier: list[str] = []
        for said in kept:
            replies += 1
            own = said.own
            seen = scenario.messages[: said.index + 1]
            if own in HONEST:
                honest += 1
            elif grounding(own, [m.text for m in seen], names) == 0:
                ungrounded += 1
            repeats += any(near_copy(own, before) for before in earlier)
            earlier.append(own)
            looping += loops(own)
            runs += mention_heavy(said, names)
            speakers = [m.author_name for m in seen]
            identity += not (claims_human(own, bot, speakers).passed and speaks_as_another(own, bot, speakers).passed)
            last = seen[-1]
            others = {m.author_id: m.text for m in seen if m.author_id != last.author_id}
            mirrors.append(mirror_index(own, last.text, list(others.values()), names))
            active |= {m.author_id for m in seen}
            named = [m.author_id for m in seen if re.search(rf"(?<!\w){re.escape(m.author_name)}(?!\w)", own, re.I)]
            for member in set(named) or {last.author_id}:
                counts[member] = counts.get(member, 0) + 1
        if kept:
            ginis.append(gini(counts, active))
        questions = [i for i, m in enumerate(scenario.messages) if asks_bot(m.text, bot)]
        for position, index in enumerate(questions):
            until = questions[position + 1] if position + 1 < len(questions) else len(scenario.messages)
            answers = [s.own for s in kept if index <= s.index < until and s.own not in HONEST]
            asked += 1
            grounded += any(grounding(a, [scenario.messages[index].text], names) > 0 for a in answers)
    silent_labels = sum(not label for label in labelled)
    silent_right = sum(not d and not label for d, label in zip(decided, labelled))
    return {
        "direct_questions": asked,
        "grounded_answers": round(grounded / asked, 4) if asked else 0.0,
        "replies": replies,
        "withheld": withheld,
        "ungrounded": round(ungrounded / replies, 4) if replies else 0.0,
        "repeats": repeats,
        "loops": looping,
        "mention_runs": runs,
        "identity_breaks": identity,
        "honest": honest,
        "silence_right": round(silent_right / silent_labels, 4) if silent_labels else 0.0,
        "speak_accuracy": round(agreement(decided, labelled), 4),
        "mirror": round(mean(mirrors), 4) if mirrors else 0.0,
        "gini": round(mean(ginis), 4) if ginis else 0.0,
    }


def baseline_tree(ref: str, where: Path) -> Path:
    """A detached git worktree of `ref` under `where`; removed by the caller with `git worktree remove`."""
    tree = where / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True, capture_output=True)
    return tree


def compare(after: dict[str, float], before: dict[str, float]) -> dict[str, object]:
    """Deltas of every figure, and ratios where the baseline is not zero."""
    return {
        "delta": {k: round(after[k] - before[k], 4) for k in after},
        "ratio": {k: round(after[k] / before[k], 4) for k in after if before[k]},
    }


def show(label: str, scenarios: list[Scenario], raw: dict) -> None:  # type: ignore[type-arg]
    print(f"--- {label}: {raw['model']}")
    for scenario, room in zip(scenarios, raw["rooms"]):
        for said in room["replies"]:
            print(f"  [{scenario.name}] after {scenario.messages[said['index']].author_name}: {said['shown']}")


def main(limit: int | None, max_tokens: int, ref: str | None, also: list[str]) -> None:
    scenarios = all_scenarios(limit)
    bot = Settings().bot_name
    runs: dict[str, dict] = {}  # type: ignore[type-arg]
    if ref:
        with tempfile.TemporaryDirectory() as where:
            tree = baseline_tree(ref, Path(where))
            try:
                runs[f"before ({ref})"] = played(tree, limit, max_tokens, {})
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    runs["after"] = played(ROOT, limit, max_tokens, {})
    runs["after, bar off"] = played(ROOT, limit, max_tokens, {BAR: "0"})
    for setting in also:
        name, _, value = setting.partition("=")
        runs[f"after, {name}={value}"] = played(ROOT, limit, max_tokens, {name: value})
    figures = {label: score(scenarios, outcomes(raw), bot) for label, raw in runs.items()}
    for label, raw in runs.items():
        show(label, scenarios, raw)
        print(f"{label}: {figures[label]}")
    sweep = [{"bar": bar, **score(scenarios, outcomes(runs["after, bar off"]), bot, bar)} for bar in SWEEP]
    print("bar sweep over the bar-off run (withheld replies count as silence):")
    for row in sweep:
        print(f"  bar {row['bar']:.1f}: withheld {row['withheld']}, grounded answers {row['grounded_answers']}, "
              f"ungrounded {row['ungrounded']}")  # fmt: skip
    summary: dict[str, object] = {
        "model": runs["after"]["model"],
        "scenarios": len(scenarios),
        "bar": Settings().grounding_min,
        **figures,
        "sweep": sweep,
    }
    if ref:
        summary["after_vs_before"] = compare(figures["after"], figures[f"before ({ref})"])
    print(json.dumps(summary))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="play only the first N scenarios")
    parser.add_argument("--max-tokens", type=int, default=48, help="tokens per generated reply")
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="the commit to compare with; '' for none")
    parser.add_argument("--also", action="append", default=[], help="another run of this tree with ENV=VALUE set")
    args = parser.parse_args()
    main(args.limit, args.max_tokens, args.baseline_ref or None, args.also)
