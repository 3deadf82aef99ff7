"""Care detection benchmark: recall, false alarms, per-category results, speed, real chatter.

Run from the project root:
    PYTHONPATH=$PWD python bench/care.py [--sensitivity normal] [--show-irc] [--sweep 100000] [--judge 5] [--skip-cv]

Reads the team-written evaluation set in bench/data/care/ (messages.tsv:
`label<TAB>category<TAB>text`; sequences.jsonl: messages of one member with
minute offsets and the label expected for the last one) and replays the ten
`#ubuntu` IRC logs in ../shared/data/ubuntu-irc/dev through stage one and the
per-member risk core, counting what would alert a care contact. The last line
is a JSON object. It also reports stage one (rules OR the learned scorer) on phrasing
families held out of the scorer's training (grouped cross-validation over
bench/data/care/train.tsv, see bench/train_care.py; needs scikit-learn), and
`imminent_recall`: the share of sequences expected imminent whose last message is.
Finally it scores an independently written held-out set (heldout.tsv, same format, and
heldout_sequences.jsonl) that the rules and the scorer were not tuned on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from groupmind.care.judge import judge
from groupmind.care.quiet import sweep_quiet
from groupmind.care.risk import assess
from groupmind.care.signals import RISK_LABELS, Label, detect
from groupmind.config import Settings
from groupmind.llm.local import LocalEngine
from groupmind.llm.models import assemble_default_model
from groupmind.replay import read_irc
from groupmind.store.care_signals import RedisCareSignals, RiskState, Rhythm
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedServer
from groupmind.store.keys import CommunityKeys

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "care"
IRC_DEV = ROOT.parent / "shared" / "data" / "ubuntu-irc" / "dev"
_T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def load_messages(name: str = "messages.tsv") -> list[tuple[Label, str, str]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, category, text = line.split("\t", 2)
            rows.append((Label(label), category, text))
    return rows


def load_sequences(name: str = "sequences.jsonl") -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def run_sequence(seq: dict, sensitivity: str) -> Label:
    """The contextual label of a sequence's last message."""
    state, label = RiskState(), Label.NONE
    for minutes, text in seq["messages"]:
        result = assess(state, detect(text, sensitivity), _T0 + timedelta(minutes=minutes))
        state, label = result.state, result.label
    return label


def stage1_speed(texts: list[str], sensitivity: str, seconds: float = 2.0) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            detect(text, sensitivity)
        done += len(texts)
    return done / (time.perf_counter() - start)


async def _sweep(url: str, members: int) -> tuple[float, int]:
    """Write `members` rhythms (a tenth of them quiet), then time one sweep of the community."""
    redis = client_for(url)
    keys = CommunityKeys("bench", "big")
    await redis.flushall()
    day = 86400.0
    pulse = _T0.timestamp() + 60 * day
    pipe = redis.pipeline(transaction=False)
    for i in range(members):
        member = f"m{i}"
        last = pulse - (12 * day if i % 10 == 0 else (i % 24) * 3600)
        rhythm = Rhythm(last=last, n=40, mean=3.18, m2=0.3 * 39, max_gap=2 * day, weeks=0xFF, week=int(last // (7 * day)))
        pipe.sadd(keys.members, member)
        pipe.hset(keys.care_rhythm(member), mapping={k: v for k, v in vars(rhythm).items()})
        if len(pipe) >= 10_000:
            await pipe.execute()
    await pipe.execute()
    await redis.zadd(keys.care_pulse, {"last": pulse})
    start = time.perf_counter()
    signals = RedisCareSignals(redis)
    quiet = await sweep_quiet(signals, keys.platform, keys.community, datetime.fromtimestamp(pulse, timezone.utc))
    seconds = time.perf_counter() - start
    await redis.flushall()
    await redis.aclose()
    return seconds, len(quiet)


def sweep_speed(members: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedServer(Path(tmp))
        server.start()
        try:
            return asyncio.run(_sweep(server.url, members))
        finally:
            server.stop()


async def _judge_latency(calls: int) -> list[float]:
    cache = Path(tempfile.gettempdir()) / "groupmind-bench-model"
    engine = LocalEngine(assemble_default_model(cache, print), Settings(_env_file=None, temperature=0.0, seed=7))  # type: ignore[call-arg]
    await engine.start()
    texts = ["i wish i could sleep forever", "I'm such a burden", "kms", "I want to kill myself", "having a panic attack"]
    try:
        return [(await judge(engine, texts[i % len(texts)], Label.PASSIVE_IDEATION, timeout=120)).seconds
                for i in range(calls)]
    finally:
        await engine.close()


def heldout_figures(sensitivity: str, name: str = "heldout", sequences: str | None = "heldout_sequences.jsonl",
                    show: bool = True) -> dict[str, float]:
    """Recall, false alarms and imminent recall on an independently written held-out set, per class.

    `heldout` was written by someone who never saw the rules, then used to broaden them; `heldout2` was written
    the same way afterwards and is scored only (its misses are not printed unless asked), so it stays held out.
    """
    not_risk = {Label.NONE, Label.CURIOSITY, Label.CONCERN}
    per_class: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    for expected, category, text in load_messages(f"{name}.tsv"):
        got = detect(text, sensitivity).label
        ok = (got in RISK_LABELS) == (expected not in not_risk)
        per_class[f"{expected.value}/{category}"].update(n=1, ok=ok, imm=expected is Label.PLAN_OR_IMMINENT,
                                                           imm_ok=expected is got is Label.PLAN_OR_IMMINENT)
        if not ok:
            misses.append(f"  {name} miss [{category}] expected={expected.value} got={got.value}: {text}")
    seq_n = seq_hit = 0
    for seq in load_sequences(sequences) if sequences else ():
        got = run_sequence(seq, sensitivity)
        imminent = seq["expect"] == Label.PLAN_OR_IMMINENT.value
        ok = got is Label.PLAN_OR_IMMINENT if imminent else got not in RISK_LABELS
        seq_n += imminent
        seq_hit += imminent and ok
        per_class[f"seq:{seq['expect']}/{seq['category']}"].update(n=1, ok=ok)
        if not ok:
            misses.append(f"  heldout miss [seq:{seq['category']}] expected={seq['expect']} got={got.value}: {seq['name']}")
    print(f"{name} set (risk/benign call; sequences: imminent at the last message, or no risk):")
    for key in sorted(per_class):
        print(f"  {key:38} {per_class[key]['ok']:4}/{per_class[key]['n']}")
    if show:
        print("\n".join(misses))
    risk = sum((c for k, c in per_class.items() if not k.startswith(("seq:", "none/", "curiosity/", "concern/"))), Counter())
    benign = sum((c for k, c in per_class.items() if k.startswith(("none/", "curiosity/", "concern/"))), Counter())
    figures = {f"{name}_recall": round(risk["ok"] / risk["n"], 4),
               f"{name}_false_alarm": round(1 - benign["ok"] / benign["n"], 4),
               f"{name}_imminent_recall": round(risk["imm_ok"] / risk["imm"], 4)}
    return {**figures, f"{name}_seq_imminent_recall": round(seq_hit / seq_n, 4)} if seq_n else figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensitivity", default="normal", choices=("low", "normal", "high"))
    parser.add_argument("--show-irc", action="store_true", help="print every IRC detection that would alert")
    parser.add_argument("--sweep", type=int, default=100_000, metavar="N", help="time a quiet sweep of N members (0 skips)")
    parser.add_argument("--judge", type=int, default=0, metavar="N", help="time N stage-two judgements with the default model")
    parser.add_argument("--show-misses", action="store_true", help="print every wrong item of the evaluation set")
    parser.add_argument("--skip-cv", action="store_true", help="skip the held-out-family cross-validation (a minute)")
    args = parser.parse_args()

    cases: list[tuple[str, Label, Label, str]] = []  # category, expected, got, text
    for expected, category, text in load_messages():
        cases.append((category, expected, detect(text, args.sensitivity).label, text))
    seq_imminent = seq_imminent_hit = 0
    for seq in load_sequences():
        got = run_sequence(seq, args.sensitivity)
        cases.append((f"seq:{seq['category']}", Label(seq["expect"]), got, seq["name"]))
        if seq["expect"] == Label.PLAN_OR_IMMINENT.value:
            seq_imminent += 1
            seq_imminent_hit += got is Label.PLAN_OR_IMMINENT

    per_cat: dict[str, Counter[str]] = defaultdict(Counter)
    risk_hit = risk_n = benign_alarm = benign_n = imm_hit = imm_n = exact = 0
    for category, expected, got, text in cases:
        ok_exact = expected == got
        exact += ok_exact
        per_cat[category]["n"] += 1
        if expected in RISK_LABELS:
            risk_n += 1
            hit = got in RISK_LABELS
            risk_hit += hit
            per_cat[category]["ok"] += hit
        else:
            benign_n += 1
            alarm = got in RISK_LABELS
            benign_alarm += alarm
            per_cat[category]["ok"] += not alarm
        if expected is Label.PLAN_OR_IMMINENT:
            imm_n += 1
            imm_hit += got is Label.PLAN_OR_IMMINENT
        if args.show_misses and not ok_exact:
            print(f"  miss [{category}] expected={expected.value} got={got.value}: {text}")

    print(f"evaluation set: {len(cases)} items ({risk_n} risk, {benign_n} benign), sensitivity={args.sensitivity}")
    for category in sorted(per_cat):
        c = per_cat[category]
        print(f"  {category:22} {c['ok']:4}/{c['n']:<4} correct risk/benign call")
    print(f"exact label agreement: {exact / len(cases):.3f}")

    irc_alerts, irc_flags, irc_total, texts = 0, Counter[str](), 0, []
    if IRC_DEV.is_dir():
        for path in sorted(IRC_DEV.glob("*.raw.txt")):
            states: dict[str, RiskState] = {}
            for msg in read_irc(path):
                irc_total += 1
                texts.append(msg.text)
                result = assess(states.get(msg.author_id, RiskState()), detect(msg.text, args.sensitivity), msg.ts)
                states[msg.author_id] = result.state
                if result.label is not Label.NONE:
                    irc_flags[result.label.value] += 1
                if result.alert:
                    irc_alerts += 1
                    if args.show_irc:
                        print(f"  irc alert {msg.message_id} <{msg.author_name}> [{result.label.value}] {msg.text}")
        print(f"irc replay: {irc_total} messages, flags by label {dict(irc_flags)}, alerts {irc_alerts}")
    else:
        print(f"irc replay skipped: {IRC_DEV} not found", file=sys.stderr)

    speed = stage1_speed(texts or [text for *_, text in cases], args.sensitivity)
    print(f"stage 1: {speed:,.0f} msgs/s on one core ({1e6 / speed:.0f} µs a message)")
    figures: dict[str, float] = {"imminent_recall": round(seq_imminent_hit / seq_imminent, 4)}
    print(f"sequences expected imminent: {seq_imminent_hit}/{seq_imminent} imminent at their last message")
    figures |= heldout_figures(args.sensitivity)
    figures |= heldout_figures(args.sensitivity, "heldout2", None, show=args.show_misses)
    if not args.skip_cv:
        from bench.train_care import heldout, load  # scikit-learn: only this part needs it

        cv = heldout(load())
        print(f"held-out families (rules OR scorer): {cv}")
        figures |= {k: v for k, v in cv.items() if k in ("heldout_family_recall", "heldout_family_false_alarm")}
    if args.sweep:
        seconds, flagged = sweep_speed(args.sweep)
        print(f"quiet sweep: {args.sweep:,} members in {seconds:.2f}s ({flagged:,} flagged)")
        figures["quiet_sweep_s"] = round(seconds, 3)
    if args.judge:
        latencies = sorted(asyncio.run(_judge_latency(args.judge)))
        print(f"stage 2 judge: median {latencies[len(latencies) // 2]:.2f}s, max {latencies[-1]:.2f}s over {args.judge} calls")
        figures["judge_median_s"] = round(latencies[len(latencies) // 2], 3)
    print(json.dumps({
        "recall": round(risk_hit / risk_n, 4),
        "false_alarm": round(benign_alarm / benign_n, 4),
        "recall_imminent": round(imm_hit / imm_n, 4),
        "stage1_msgs_per_s": round(speed),
        "irc_alerts": irc_alerts,
        "irc_messages": irc_total,
        "exact_label_agreement": round(exact / len(cases), 4),
        **figures,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
