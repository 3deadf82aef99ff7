"""Train the reply-to linker (`groupmind/we/linker.npz`) on the `#ubuntu` training logs.

Run from the project root:
    PYTHONPATH=$PWD python bench/train_linker.py [--check]

Data: ../shared/data/ubuntu-irc/train only (the dev logs tune and report, in
bench/linker.py). Every annotated message gives one row per candidate (the
window before it, and itself); rows whose candidate is a gold parent are
positives. All positives are kept, and per message the `NEAR` nearest
negatives plus `FAR` drawn at random (seeded): the argmax is decided among
near candidates, far ones need only be seen to be ruled out.

Deterministic: fixed sample seed, sklearn's MLP with a fixed seed, one BLAS
thread. `--check` retrains and verifies the shipped weights equal what this
script writes (to float32 rounding).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from bench.annotation import FIRST_ANNOTATED, line_of, read_annotation
from groupmind.replay import read_irc
from groupmind.we import linker

ROOT = Path(__file__).resolve().parents[1]
IRC_TRAIN = ROOT.parent / "shared" / "data" / "ubuntu-irc" / "train"
NEAR = 10
FAR = 10
HIDDEN = 32
EPOCHS = 12


def log_rows(raw: Path, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sampled candidate rows and labels of one annotated log."""
    gold = read_annotation(raw.with_name(raw.name.replace(".raw.txt", ".annotation.txt")))
    parents: dict[int, set[int]] = {}
    for child, parent in gold:
        parents.setdefault(child, set()).add(parent)
    window = linker.Linker()
    xs, ys = [], []
    for msg in read_irc(raw):
        line = line_of(msg.message_id)
        if line >= FIRST_ANNOTATED and line in parents:
            rows = window.rows(msg)
            lines = np.array([line_of(m.message_id) for m in window.messages] + [line])
            label = np.isin(lines, list(parents[line]))
            negatives = np.flatnonzero(~label)
            near, far = negatives[-NEAR:], negatives[:-NEAR]
            keep = np.concatenate([np.flatnonzero(label), near, rng.choice(far, min(FAR, len(far)), replace=False)])
            xs.append(rows[keep])
            ys.append(label[keep])
        window.add(msg)
    if not xs:
        return np.zeros((0, len(linker.FEATURES))), np.zeros(0, dtype=bool)
    return np.concatenate(xs), np.concatenate(ys)


def load(raws: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    parts = [log_rows(raw, rng) for raw in raws]
    return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])


def fit(X: np.ndarray, y: np.ndarray) -> linker.Model:
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale < 1e-6] = 1.0  # a constant cue: rounding its mean must not blow it up
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget, on purpose: same weights every run
        net = MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=1e-4, batch_size=512, max_iter=EPOCHS,
                            random_state=0, tol=0.0, n_iter_no_change=EPOCHS + 1, shuffle=True)
        net.fit((X - mean) / scale, y)
    w1, w2 = net.coefs_
    b1, b2 = net.intercepts_
    return linker.Model(mean, scale, w1, b1, w2[:, 0], float(b2[0]))


def train(raws: list[Path] | None = None) -> linker.Model:
    """The model, from every training log (or `raws`)."""
    raws = sorted(IRC_TRAIN.glob("*.raw.txt")) if raws is None else raws
    X, y = load(raws)
    print(f"{len(raws)} logs, {len(y)} rows, {int(y.sum())} positives", file=sys.stderr)
    return fit(X, y)


def rounded(model: linker.Model) -> linker.Model:
    """The model as the weight file holds it (float32)."""
    return linker.Model(*(np.asarray(v, dtype=np.float32).astype(np.float64) for v in model[:-1]),
                        float(np.float32(model.b2)))


def fingerprint(raws: list[Path]) -> str:
    """sha256 over what a training reads and how: the logs, their annotations, the cues and the settings."""
    digest = hashlib.sha256(repr((linker.FEATURES, NEAR, FAR, HIDDEN, EPOCHS, linker.WINDOW)).encode())
    for raw in raws:
        for path in (raw, raw.with_name(raw.name.replace(".raw.txt", ".annotation.txt"))):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def shipped_fingerprint() -> str:
    with np.load(linker.WEIGHTS) as f:
        return str(f["inputs"])


def reproduces(shipped: linker.Model, fresh: linker.Model) -> bool:
    fresh = rounded(fresh)
    return all(np.allclose(a, b, rtol=0, atol=1e-6) for a, b in zip(shipped, fresh))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the shipped weights are reproduced")
    args = parser.parse_args()
    if not IRC_TRAIN.is_dir():
        print(f"{IRC_TRAIN} is absent", file=sys.stderr)
        return 2
    model = train()
    if args.check:
        same = reproduces(linker.load(), model)
        print("shipped weights reproduced" if same else "shipped weights differ from a fresh training")
        return 0 if same else 1
    linker.save(linker.WEIGHTS, model, fingerprint(sorted(IRC_TRAIN.glob("*.raw.txt"))))
    print(f"wrote {linker.WEIGHTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
