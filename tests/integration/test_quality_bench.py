"""The reply-quality bench runs end to end with the real default model, on a tiny limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {
    "direct_questions", "grounded_answers", "replies", "withheld", "ungrounded", "repeats", "loops", "mention_runs",
    "identity_breaks", "honest", "silence_right", "speak_accuracy", "mirror", "gini",
}  # fmt: skip


def test_a_quality_bench_run_completes_and_ends_with_its_figures(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GROUPMIND_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "bench/quality.py", "--limit", "1", "--max-tokens", "8", "--baseline-ref", ""],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["model"].endswith(".gguf") and summary["scenarios"] == 1
    for run in ("after", "after, bar off"):
        assert set(summary[run]) == FIGURES
        assert summary[run]["direct_questions"] == 1  # "Mind, what is 2+2?"
        assert 0.0 <= summary[run]["grounded_answers"] <= 1.0 and 0.0 <= summary[run]["silence_right"] <= 1.0
    assert [row["bar"] for row in summary["sweep"]] == [0.0, 0.1, 0.2, 0.3, 0.5]
    withheld = [row["withheld"] for row in summary["sweep"]]
    assert withheld == sorted(withheld)  # a higher bar never lets more through
