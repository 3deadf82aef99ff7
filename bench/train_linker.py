"""Train the reply-to linker (`groupmind/we/linker.npz`) on the `#ubuntu` training logs.

Run from the project root:
    OMP_NUM_THREADS=1 PYTHONPATH=$PWD python bench/train_linker.py [--check]

Data: ../shared/data/ubuntu-irc/train only (the dev logs tune and report, in
bench/linker.py). Every annotated message whose gold parent is in its window
gives one group of candidate rows: its gold parents, its `NEAR` nearest other
candidates and `FAR` drawn at random (seeded) from the rest; the argmax is
decided among near candidates, far ones need only be seen to be ruled out.

The loss ranks, as the linker decides (by argmax over a message's candidates): a
softmax over each message's candidates, minus the log of the probability given
to its gold parents. `SEEDS` networks are trained, each
from its own seed, and shipped as one network whose hidden layer is theirs side
by side and whose output averages theirs: the vote of several models at the cost
of one matrix product. Plain numpy (Adam, cosine-decayed steps), float32.

Deterministic: fixed seeds, one BLAS thread. `--check` retrains and verifies the
shipped weights equal what this script writes (to float32 rounding).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from bench.annotation import FIRST_ANNOTATED, line_of, read_annotation
from groupmind.replay import read_irc
from groupmind.we import linker

ROOT = Path(__file__).resolve().parents[1]
IRC_TRAIN = ROOT.parent / "shared" / "data" / "ubuntu-irc" / "train"
NEAR = 30
FAR = 10
HIDDEN = 64
"""Hidden units of each network."""
SEEDS = 3
EPOCHS = 12
BATCH = 256
STEP = 0.003
L2 = 1e-4


class Groups:
    """Candidate rows of many messages, padded to one width: rows[i, j] is message i's candidate j."""

    def __init__(self, groups: list[tuple[np.ndarray, np.ndarray]]) -> None:
        width = max((len(label) for _, label in groups), default=1)
        self.rows = np.zeros((len(groups), width, len(linker.FEATURES)), dtype=np.float32)
        self.gold = np.zeros((len(groups), width), dtype=bool)
        self.real = np.zeros((len(groups), width), dtype=bool)
        """False where a row only pads its message's group."""
        for i, (rows, label) in enumerate(groups):
            self.rows[i, : len(label)] = rows
            self.gold[i, : len(label)] = label
            self.real[i, : len(label)] = True


def log_groups(raw: Path, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Sampled candidate rows and labels of each annotated message of one log whose gold parent is in its window."""
    gold = read_annotation(raw.with_name(raw.name.replace(".raw.txt", ".annotation.txt")))
    parents: dict[int, set[int]] = {}
    for child, parent in gold:
        parents.setdefault(child, set()).add(parent)
    window = linker.Linker()
    groups = []
    for msg in read_irc(raw):
        line = line_of(msg.message_id)
        if line >= FIRST_ANNOTATED and line in parents:
            rows = window.rows(msg)
            lines = np.array([line_of(m.message_id) for m in window.messages] + [line])
            label = np.isin(lines, list(parents[line]))
            negatives = np.flatnonzero(~label)
            near, far = negatives[-NEAR:], negatives[:-NEAR]
            keep = np.sort(np.concatenate([np.flatnonzero(label), near,
                                           rng.choice(far, min(FAR, len(far)), replace=False)]))
            if label.any():
                groups.append((rows[keep].astype(np.float32), label[keep]))
        window.add(msg)
    return groups


def load(raws: list[Path]) -> Groups:
    rng = np.random.default_rng(0)
    return Groups([group for raw in raws for group in log_groups(raw, rng)])


def fit_one(x: np.ndarray, gold: np.ndarray, real: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """One network (w1, b1, w2) over standardised rows `x`, trained to rank each message's gold parents first."""
    rng = np.random.default_rng(seed)
    features = x.shape[2]
    w1 = (rng.standard_normal((features, HIDDEN)) * np.sqrt(2 / features)).astype(np.float32)
    b1 = np.zeros(HIDDEN, dtype=np.float32)
    w2 = (rng.standard_normal(HIDDEN) * np.sqrt(1 / HIDDEN)).astype(np.float32)
    params = [w1, b1, w2]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    step = 0
    for epoch in range(EPOCHS):
        rate = STEP * 0.5 * (1 + np.cos(np.pi * epoch / EPOCHS))
        order = rng.permutation(len(x))
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            rows, hit, mask = x[batch], gold[batch], real[batch]
            pre = rows @ w1 + b1
            hidden = np.maximum(pre, 0)
            scores = np.where(mask, hidden @ w2, -1e9)
            e = np.exp(scores - scores.max(axis=1, keepdims=True))
            on_gold = e * hit
            # d(-log P(gold)) / d(score): all candidates' softmax minus the gold candidates' own softmax
            d_scores = (e / e.sum(axis=1, keepdims=True) - on_gold / on_gold.sum(axis=1, keepdims=True)) / len(batch)
            d_pre = d_scores[..., None] * w2 * (pre > 0)
            grads = (np.einsum("bnf,bnh->fh", rows, d_pre) + L2 * w1, d_pre.sum(axis=(0, 1)),
                     np.einsum("bn,bnh->h", d_scores, hidden) + L2 * w2)
            step += 1
            for p, g, m, v in zip(params, grads, moments, squares):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                p -= (rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)).astype(np.float32)
    return w1, b1, w2


def fit(data: Groups) -> linker.Model:
    """`SEEDS` ranking networks side by side: one network whose score is the mean of theirs."""
    flat = data.rows[data.real]
    mean, scale = flat.mean(axis=0), flat.std(axis=0)
    scale[scale < 1e-6] = 1.0  # a constant cue: rounding its mean must not blow it up
    x = ((data.rows - mean) / scale * data.real[..., None]).astype(np.float32)
    with threadpool_limits(1):
        nets = [fit_one(x, data.gold, data.real, seed) for seed in range(SEEDS)]
    w1, b1, w2 = (np.concatenate(part, axis=-1) for part in zip(*nets))
    return linker.Model(mean.astype(np.float64), scale.astype(np.float64), w1.astype(np.float64),
                        b1.astype(np.float64), w2.astype(np.float64) / SEEDS, 0.0)


def train(raws: list[Path] | None = None) -> linker.Model:
    """The model, from every training log (or `raws`)."""
    raws = sorted(IRC_TRAIN.glob("*.raw.txt")) if raws is None else raws
    data = load(raws)
    print(f"{len(raws)} logs, {len(data.gold)} messages, {int(data.real.sum())} candidate rows", file=sys.stderr)
    return fit(data)


def rounded(model: linker.Model) -> linker.Model:
    """The model as the weight file holds it (float32)."""
    return linker.Model(*(np.asarray(v, dtype=np.float32).astype(np.float64) for v in model[:-1]),
                        float(np.float32(model.b2)))


def fingerprint(raws: list[Path]) -> str:
    """sha256 over what a training reads and how: the logs, their annotations, the cues and the settings."""
    settings = (linker.FEATURES, NEAR, FAR, HIDDEN, SEEDS, EPOCHS, BATCH, STEP, L2, linker.WINDOW)
    digest = hashlib.sha256(repr(settings).encode())
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
