"""The house's layers (ARCHITECTURE.md): imports run down, never up, never in a circle; only the store speaks Redis.

Read from the source with `ast`, so a violation fails here before it turns into
a tangle nobody can test apart.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS: list[tuple[str, ...]] = [
    ("groupmind.events", "groupmind.config", "groupmind.platform", "groupmind.names", "groupmind.vocative"),
    ("groupmind.store", "groupmind.llm"),
    ("groupmind.we", "groupmind.speak", "groupmind.prompt", "groupmind.guard", "groupmind.care", "groupmind.admin",
     "groupmind.scheduler", "groupmind.reply"),
    ("groupmind.pipeline", "groupmind.ingress", "groupmind.work", "groupmind.replay", "groupmind.observe",
     "groupmind.runtime"),
    ("adapters",),
    ("groupmind.cli", "groupmind.model_commands", "groupmind.__main__"),
]  # fmt: skip
"""Bottom to top. A module may import its own layer and those below it."""


def module_name(path: Path) -> str:
    """`groupmind/care/__init__.py` -> `groupmind.care`."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int | None:
    for rank, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return rank
    return None


def imports(path: Path) -> set[str]:
    """Every module `path` imports at run time (TYPE_CHECKING blocks included: they are still a dependency)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from package import module` depends on the module, not the package's face
                found.add(sub if (sub := f"{node.module}.{alias.name}") in SOURCE_NAMES else node.module)
    return found


SOURCE_NAMES = {module_name(p) for d in ("groupmind", "adapters") for p in (ROOT / d).rglob("*.py")}
SOURCES = {module_name(p): p for d in ("groupmind", "adapters") for p in sorted((ROOT / d).rglob("*.py"))}
GRAPH = {name: {i for i in imports(path) if i in SOURCES and i != name} for name, path in SOURCES.items()}


def test_every_module_has_a_layer() -> None:
    assert [m for m in SOURCES if m not in ("groupmind", "adapters") and layer(m) is None] == []


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_imports_run_down(module: str) -> None:
    own = layer(module)
    if own is None:
        return
    upward = sorted(i for i in GRAPH[module] if (other := layer(i)) is not None and other > own)
    assert upward == [], f"{module} (layer {own}) imports from above"


def test_no_import_circles() -> None:
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                circles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(GRAPH):
        if start not in state:
            visit(start, [start])
    assert circles == []


def test_only_the_store_imports_redis_and_adapters_never_touch_the_store() -> None:
    redis = sorted(m for m, p in SOURCES.items() if not m.startswith("groupmind.store") and any(
        i == "redis" or i.startswith("redis.") for i in imports(p)))  # fmt: skip
    assert redis == []
    assert sorted(m for m in SOURCES if m.startswith("adapters") and any(
        i.startswith("groupmind.store") for i in imports(SOURCES[m]))) == []  # fmt: skip


def _ours() -> list[str]:
    return [name for name in sys.modules if name.split(".")[0] in ("groupmind", "adapters")]


def test_every_module_imports_first() -> None:
    """Each module imported first, with none of ours loaded: a circle through a package's
    `__init__` (which the static graph above reads as its face) fails here in the order that bites."""
    saved = {name: sys.modules[name] for name in _ours()}
    failures: dict[str, str] = {}
    try:
        for name in sorted(m for m in SOURCES if not m.endswith("__main__")):  # that one runs the CLI
            for loaded in _ours():
                del sys.modules[loaded]
            try:
                importlib.import_module(name)
            except ImportError as exc:
                failures[name] = str(exc)
    finally:
        for loaded in _ours():
            del sys.modules[loaded]
        sys.modules.update(saved)
    assert failures == {}
