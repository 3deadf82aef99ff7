"""Reply-to linking on the `#ubuntu` dev logs: the learned linker against the rules it replaced.

Run from the project root, on one core:
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=$PWD python bench/linker.py

Prints F1 by this project's protocol (message lines only, as `bench/annotation.py`
scores them) and by the paper's (every annotated line, system lines included), for
the learned linker streamed and as the room calls it, then link inference in
messages per second: streamed (`Threader`, how replays link), the room's path
(`Threaders` handed the last 60 stored messages each call, resuming its window) and
one-shot (`link_message` rebuilding the 60-message window: the room's path when its
window differs from the stored one), each against the rules (which rebuild their own
view of the last 80 every call) timed in the same run. The JSON object is the last line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from bench.annotation import Parents, baseline_parents, learned_parents, rule_parents, score_links
from groupmind.events import ChatMessage
from groupmind.replay import read_irc
from groupmind.we.threads import Linked, Threaders, link_message

IRC_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ubuntu-irc" / "dev"
ROOM_WINDOW = 60
"""Messages the room hands `link_message` (groupmind.we.room.LINK_WINDOW)."""
ONE_SHOT = 1_500
"""Messages timed one-shot per linker: enough for a steady rate."""


def room_parents(messages: Iterable[ChatMessage]) -> Iterator[str]:
    """The learned linker as the room calls it: `Threaders` handed the last `ROOM_WINDOW` linked messages."""
    threaders, recent = Threaders(ROOM_WINDOW), []
    for msg in messages:
        link = threaders.link(msg.where, msg, recent[-ROOM_WINDOW:])
        recent.append(Linked(msg, link))
        yield link.parent


def one_shot_parents(messages: Iterable[ChatMessage]) -> Iterator[str]:
    """The learned linker rebuilt for every message: `link_message` over the last `ROOM_WINDOW` linked messages."""
    recent: list[Linked] = []
    for msg in messages:
        link = link_message(msg, recent[-ROOM_WINDOW:])
        recent.append(Linked(msg, link))
        yield link.parent


def per_second(logs: list[list[ChatMessage]], parents: Parents) -> float:
    """Messages linked per second, streaming every log through `parents`."""
    count, spent = 0, 0.0
    for messages in logs:
        start = time.perf_counter()
        for _ in parents(messages):
            count += 1
        spent += time.perf_counter() - start
    return count / spent


def main() -> int:
    raws = sorted(IRC_DEV.glob("*.raw.txt"))
    if not raws:
        print(f"{IRC_DEV} is absent", file=sys.stderr)
        return 2
    if os.environ.get("OMP_NUM_THREADS") != "1":
        print("note: set OMP_NUM_THREADS=1 (and OPENBLAS_NUM_THREADS=1) for a one-core figure", file=sys.stderr)
    summary: dict[str, float] = {}
    linkers = (("learned", learned_parents), ("learned_room", room_parents), ("rules", rule_parents),
               ("previous_speaker", baseline_parents))
    for name, parents in linkers:
        ours, paper = score_links(raws, parents), score_links(raws, parents, paper=True)
        print(f"{name:>16}: dev F1 {ours.f1:.4f} (P {ours.precision:.4f} R {ours.recall:.4f}), paper protocol {paper.f1:.4f}")
        summary |= {f"{name}_f1": round(ours.f1, 4), f"{name}_paper_f1": round(paper.f1, 4)}
    logs = [list(read_irc(raw)) for raw in raws]
    learned, rules = per_second(logs, learned_parents), per_second(logs, rule_parents)
    sample = list(islice((m for log in logs for m in log), ONE_SHOT))
    room, one_shot = per_second([sample], room_parents), per_second([sample], one_shot_parents)
    room_rules = per_second([sample], rule_parents)
    print(f"streamed: learned {learned:,.0f} msg/s, rules {rules:,.0f} msg/s ({learned / rules:.2f}x)")
    print(f"room ({ROOM_WINDOW}-message stored window, resumed): learned {room:,.0f} msg/s, "
          f"rules {room_rules:,.0f} msg/s ({room / room_rules:.2f}x)")
    print(f"one-shot (window rebuilt every call): learned {one_shot:,.0f} msg/s ({one_shot / room_rules:.2f}x the rules)")
    summary |= {
        "f1_gain": round(summary["learned_f1"] - summary["rules_f1"], 4),
        "streamed_msgs_per_s": round(learned), "rules_streamed_msgs_per_s": round(rules),
        "streamed_ratio": round(learned / rules, 2),
        "room_msgs_per_s": round(room), "rules_room_msgs_per_s": round(room_rules),
        "room_ratio": round(room / room_rules, 2),
        "one_shot_msgs_per_s": round(one_shot), "one_shot_ratio": round(one_shot / room_rules, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
