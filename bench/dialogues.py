"""The team's multi-turn care conversations, run through `groupmind room --script` and judged turn by turn.

Each conversation in bench/data/care/dialogues.jsonl is one member's talk with
the bot: an opening (in the room or privately), then private replies. Each turn
names the protocol steps the bot's private messages after it must be, in order,
and whether the care contact must get an alert. A turn passes when the bot's
messages are exactly those steps (`protocol.step_of`, so the room runs with the
protocol's own wording), each passes every check for its step
(`checks.check`), a public opening got an acknowledgement that passes the
public checks, and the alert came exactly when expected.

    PYTHONPATH=$PWD python bench/dialogues.py [--show NAME ...]

prints each failed turn and, last, a JSON line with `dialogue_pass_rate`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from groupmind.care.checks import CareContext, Step, check
from groupmind.care.protocol import step_of
from groupmind.care.signals import Label

DATA = Path(__file__).resolve().parent / "data" / "care" / "dialogues.jsonl"
CONTACT = "Dana"
BOT = "Mind"
START = datetime(2026, 2, 2, 9, 0)
_STARTED_BY_ASKING = {Step.ASK, Step.IMMINENT, Step.DECLINE_METHOD}


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def speaker(index: int) -> str:
    """The member who has conversation `index` (a plain name, so texts read naturally)."""
    return f"Member{index + 1:02d}"


def script(dialogues: list[dict]) -> str:
    """One room script holding every conversation, three days apart, a reply every two minutes."""
    stamp = f"[{START:%Y-%m-%d %H:%M}]"
    lines = [f"{stamp} {CONTACT}: morning all", f"{stamp} admin: /gm care contacts add {CONTACT}"]
    for i, dialogue in enumerate(dialogues):
        at = START + timedelta(days=3 * i, minutes=10)
        for turn in dialogue["turns"]:
            at += timedelta(minutes=2)
            where = "" if turn["public"] else " (private)"
            lines.append(f"[{at:%Y-%m-%d %H:%M}] {speaker(i)}{where}: {turn['say']}")
        # The care contact speaks before the follow-up falls due, so the check-in (printed when the next
        # line comes, days later) is not taken for an answer to this conversation's last turn.
        lines.append(f"[{at + timedelta(hours=1):%Y-%m-%d %H:%M}] {CONTACT}: afternoon all")
    return "\n".join(lines) + "\n"


@dataclass
class Segment:
    """What the room printed after one member line, until the next member line."""

    who: str
    said: str
    public: list[str] = field(default_factory=list)
    private: dict[str, list[str]] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)


def segments(out: str) -> list[Segment]:
    found: list[Segment] = []
    for line in out.splitlines():
        if match := re.match(r"^\[private to ([^\]]+)\] (.*)$", line):
            if found:
                found[-1].private.setdefault(match[1], []).append(match[2])
        elif line.startswith("[care-alert] "):
            if found:
                found[-1].alerts.append(line)
        elif line.startswith(f"{BOT}: "):
            if found:
                found[-1].public.append(line.removeprefix(f"{BOT}: "))
        elif match := re.match(r"^([^\[:]+?)(?: \(private\))?: (.*)$", line):
            found.append(Segment(match[1], match[2]))
    return found


def messages(lines: list[str]) -> list[str]:
    """Printed lines back into messages: a multi-line message (a plan) is the longest run that is one step."""
    out, i = [], 0
    while i < len(lines):
        j = next((j for j in range(len(lines), i, -1) if step_of("\n".join(lines[i:j]))), i + 1)
        out.append("\n".join(lines[i:j]))
        i = j
    return out


@dataclass
class Turn:
    dialogue: str
    say: str
    expected: list[str]
    got: list[str]
    failed: list[str]

    @property
    def passed(self) -> bool:
        return not self.failed


def judge(dialogues: list[dict], out: str) -> list[Turn]:
    """Every turn of every conversation, judged on what the room printed."""
    by_member: dict[str, list[Segment]] = {}
    for seg in segments(out):
        by_member.setdefault(seg.who, []).append(seg)
    turns: list[Turn] = []
    for i, dialogue in enumerate(dialogues):
        who = speaker(i)
        segs = by_member.get(who, [])
        asked = imminent = False
        label = Label.NONE if dialogue["class"] == "concern" else Label.ACTIVE_IDEATION
        for k, turn in enumerate(dialogue["turns"]):
            failed: list[str] = []
            if k >= len(segs):
                turns.append(Turn(dialogue["name"], turn["say"], turn["expect"], [], ["not in the transcript"]))
                continue
            seg = segs[k]
            said = messages(seg.private.get(who, []))
            got = [(s.value if (s := step_of(m)) else "?") for m in said]
            if got != turn["expect"]:
                failed.append(f"steps {got} != {turn['expect']}")
            for text, step in zip(said, (step_of(m) for m in said)):
                ctx = CareContext(step=step or Step.STAY, public=False, label=label, asked_directly=asked,
                                  ai_disclosed=asked, care_contact=CONTACT, imminent=imminent)  # fmt: skip
                failed += [f"{(step or Step.STAY).value} fails {name}" for name in check(text, ctx).failed]
                asked = asked or step in _STARTED_BY_ASKING
                imminent = imminent or step is Step.IMMINENT
            if turn["public"] and turn["expect"]:  # a talk that begins in the room is acknowledged there, once
                ack = CareContext(step=Step.ACKNOWLEDGE, public=True, label=label, disclosure=turn["say"])
                if len(seg.public) != 1 or not check(seg.public[0], ack).passed:
                    failed.append(f"public acknowledgement {seg.public}")
            alerted = any(f"): {who} in" in a and "Reminder" not in a for a in seg.alerts)
            if alerted != turn["alert"]:
                failed.append("an alert was raised" if alerted else "no alert was raised")
            turns.append(Turn(dialogue["name"], turn["say"], turn["expect"], got, failed))
    return turns


def run_room(text: str, env: dict[str, str], timeout: float = 900) -> str:
    """Run the script through `groupmind room` with the protocol's own wording; its printed output."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dialogues.txt"
        path.write_text(text, encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "groupmind", "room", "--script", str(path), "--admin", "admin"],
            capture_output=True, text=True, timeout=timeout, check=False,
            env={"GROUPMIND_DATA_DIR": str(Path(tmp) / "data"), **os.environ, "GROUPMIND_REDIS_URL": "",
                 "GROUPMIND_CARE_WORDING": "false", **env},
        )  # fmt: skip
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-2000:])
    return run.stdout


def pass_rate(turns: list[Turn]) -> float:
    return sum(t.passed for t in turns) / len(turns) if turns else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", nargs="*", default=[], help="print these conversations' transcripts")
    args = parser.parse_args()
    dialogues = load()
    out = run_room(script(dialogues), {})
    turns = judge(dialogues, out)
    for t in turns:
        if not t.passed:
            print(f"FAIL {t.dialogue}: {t.say!r}: {'; '.join(t.failed)}")
    for name in args.show:
        i = next(i for i, d in enumerate(dialogues) if d["name"] == name)
        for seg in segments(out):
            if seg.who == speaker(i):
                print(f"{seg.who}: {seg.said}", *(f"  public: {p}" for p in seg.public),
                      *(f"  private: {m}" for m in seg.private.get(seg.who, [])), sep="\n")
    by_class: dict[str, list[Turn]] = {}
    for d, (i, dialogue) in zip(dialogues, enumerate(dialogues)):
        by_class.setdefault(d["class"], []).extend(t for t in turns if t.dialogue == dialogue["name"])
    print(json.dumps({
        "dialogues": len(dialogues), "turns": len(turns), "dialogue_pass_rate": round(pass_rate(turns), 3),
        "by_class": {c: round(pass_rate(ts), 3) for c, ts in sorted(by_class.items())},
    }))  # fmt: skip


if __name__ == "__main__":
    main()
