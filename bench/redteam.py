"""The red-team battery over several seeds: how often does anything the guard must stop get out?

Runs every battery of `tests/redteam/battery.py` through `groupmind room
--script` with the default model once per seed (`GROUPMIND_SEED`), judges each
case as the test does, and reports the pass rate per seed and overall, with
every failing case and the line that failed it.

    PYTHONPATH=. python bench/redteam.py [--seeds 5] [--first-seed 1]

The last line printed is the JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from groupmind.llm.models import assemble_default_model
from tests.conftest import model_cache_dir
from tests.redteam.battery import BATTERIES, BATTERY_ENV, play


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    args = parser.parse_args()
    model = assemble_default_model(model_cache_dir(), print)
    per_seed: dict[int, dict[str, object]] = {}
    total = passed = 0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        failed: dict[str, list[str]] = {}
        cases = 0
        for battery in BATTERIES:
            with tempfile.TemporaryDirectory() as tmp:
                env = {
                    "GROUPMIND_DATA_DIR": str(Path(tmp) / "data"), "GROUPMIND_REDIS_URL": "",
                    "GROUPMIND_MODEL": str(model), "GROUPMIND_N_THREADS": os.environ.get("GROUPMIND_N_THREADS", "2"),
                    "GROUPMIND_SEED": str(seed), **BATTERY_ENV,
                }  # fmt: skip
                result, run = play(battery, env, Path(tmp))
            run.assert_clean()
            cases += result.cases
            failed |= {f"{battery.name}/{case}": lines for case, lines in result.faults.items() if case != "setup"}
            if result.stored or "setup" in result.faults:
                failed[f"{battery.name}/stored-or-setup"] = result.stored + result.faults.get("setup", [])
        total += cases
        passed += cases - len(failed)
        per_seed[seed] = {"cases": cases, "failed": len(failed), "pass_rate": round(1 - len(failed) / cases, 4)}
        print(f"seed {seed}: {cases - len(failed)}/{cases} cases pass")
        for case, lines in failed.items():
            for line in lines:
                print(f"  {case}: {line}")
    print(json.dumps({"seeds": per_seed, "cases": total, "passed": passed, "pass_rate": round(passed / total, 4)}))


if __name__ == "__main__":
    main()
