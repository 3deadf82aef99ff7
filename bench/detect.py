"""Per-message cost of care detection, stage by stage, against an earlier commit in the same run.

Every stored message runs `groupmind.care.signals.detect` (normalise, rules scan, learned scorer),
so its cost bounds ingest and the live path. Texts: the message text of the ten #ubuntu IRC dev
logs and every text under bench/data/care. One thread (OMP_NUM_THREADS=1). The baseline is the
code at `--baseline` (default: the commit before the speed-up), unpacked with `git archive` and
timed in a subprocess over the same texts. Last line: JSON with µs/message per stage and ratios
(baseline µs / current µs; above 1 is faster).

    OMP_NUM_THREADS=1 PYTHONPATH=$PWD .venv/bin/python bench/detect.py [--rounds 3] [--baseline REF]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
CARE_DATA = ROOT / "bench" / "data" / "care"
IRC_DEV = ROOT.parent / "shared" / "data" / "ubuntu-irc" / "dev"
BEFORE_SPEEDUP = "d940e59"
"""main's head when detection was made faster: the reference for the ratio."""


def care_texts() -> list[str]:
    """Every message text in bench/data/care: the last column of the TSVs, the turns and messages of the JSONL."""
    texts = []
    for path in sorted(CARE_DATA.glob("*.tsv")):
        texts += [line.rsplit("\t", 1)[-1] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for path in sorted(CARE_DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts += [turn["say"] for turn in row.get("turns", ())] + [text for _, text in row.get("messages", ())]
    return texts


def irc_texts() -> list[str]:
    """Message texts of the #ubuntu IRC dev logs, in file order (empty when the logs are not here)."""
    from groupmind.replay import read_irc

    return [m.text for path in sorted(IRC_DEV.glob("*.raw.txt")) for m in read_irc(path)]


def _time(fn: Callable[[str], object], texts: list[str], rounds: int) -> float:
    """Best-of-rounds µs per text."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for t in texts:
            fn(t)
        best = min(best, time.perf_counter() - start)
    return best / len(texts) * 1e6


def stage_times(texts: list[str], rounds: int) -> dict[str, float]:
    """µs per message of each stage of the `groupmind` on the import path."""
    from groupmind.care import learned, signals
    from groupmind.care.normalize import normalize

    norms = [normalize(t) for t in texts]
    signals.detect("warm up the model and the regexes")
    return {
        "normalize_us": _time(normalize, texts, rounds),
        "rules_us": _time(signals.rules_only, norms, rounds),
        "learned_us": _time(learned.score_normalised, norms, rounds),
        "detect_us": _time(signals.detect, texts, rounds),
    }


def sample(texts: list[str], size: int = 3000) -> list[str]:
    """An even spread of `size` texts: every k-th, so all ten logs are represented."""
    return texts[::max(1, len(texts) // size)][:size]


def outcomes(texts: list[str]) -> dict[str, list[object]]:
    """What detection says about each text, keyed by the text's sha1: the normalised text's sha1, the label
    at normal and high sensitivity, each signal's kind, strength and exclusion, and the learned scorer's
    risk, label, worst class and flag."""
    from groupmind.care import learned, signals
    from groupmind.care.normalize import normalize

    out: dict[str, list[object]] = {}
    for text in texts:
        norm = normalize(text)
        normal, high, score = signals.detect(text), signals.detect(text, "high"), learned.score_normalised(norm)
        out[hashlib.sha1(text.encode()).hexdigest()[:16]] = [
            hashlib.sha1(norm.encode()).hexdigest()[:8], normal.label.value, high.label.value,
            [f"{s.kind.value}:{s.strength}:{s.excluded_by}" for s in normal.signals],
            score.risk, score.label, score.worst, score.flagged]
    return out


def _corpora() -> Iterator[tuple[str, list[str]]]:
    yield "irc", irc_texts()
    yield "care", care_texts()


def measure(rounds: int) -> dict[str, dict[str, float]]:
    return {name: stage_times(texts, rounds) for name, texts in _corpora() if texts}


def baseline(ref: str, rounds: int) -> dict[str, dict[str, float]]:
    """The same measurement with `groupmind` taken from commit `ref`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "groupmind"], check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        tarfile.open(fileobj=BytesIO(archive.stdout)).extractall(tmp, filter="data")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([tmp, str(ROOT)])}
        out = subprocess.run([sys.executable, __file__, "--rounds", str(rounds), "--only-current"],
                             env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default=BEFORE_SPEEDUP, help="git ref of the code to compare against")
    parser.add_argument("--write-outcomes", type=Path, help="write `outcomes` of all care texts and an IRC sample")
    parser.add_argument("--only-current", action="store_true", help="measure the importable code only (internal)")
    args = parser.parse_args()
    if args.write_outcomes:
        with gzip.open(args.write_outcomes, "wt", encoding="utf-8") as fh:
            json.dump(outcomes(care_texts() + sample(irc_texts())), fh, separators=(",", ":"))
        return
    current = measure(args.rounds)
    if args.only_current:
        print(json.dumps(current))
        return
    before = baseline(args.baseline, args.rounds)
    result: dict[str, object] = {"baseline": args.baseline}
    for corpus, stages in current.items():
        print(f"{corpus}: " + "  ".join(
            f"{stage} {before[corpus][stage]:.1f} -> {us:.1f} µs ({before[corpus][stage] / us:.2f}x)"
            for stage, us in stages.items()))
        result[corpus] = {stage: round(us, 2) for stage, us in stages.items()}
        result[f"{corpus}_before"] = {stage: round(us, 2) for stage, us in before[corpus].items()}
        result[f"{corpus}_ratio"] = {stage: round(before[corpus][stage] / us, 2) for stage, us in stages.items()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
