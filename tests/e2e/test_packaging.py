"""The wheel `pip install .` builds (what the Dockerfiles install) works outside the checkout.

A file the package needs at run time but the wheel leaves out (the care
resources once were) only fails there, so the test builds the wheel, installs it
into a fresh virtualenv in a temporary directory, and runs a distress message
through `groupmind room --script` from that directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]


def _llama_wheels() -> Path:
    """The wheel cache ./dev built llama-cpp-python into (it exports the folder)."""
    if folder := os.environ.get("GROUPMIND_LLAMA_WHEELS"):
        return Path(folder)
    version = metadata.version("llama-cpp-python")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "groupmind" / "wheels"
    found = sorted(cache.glob(f"llama-*/llama_cpp_python-{version}-*.whl"))
    if not found:
        pytest.fail(f"no llama-cpp-python {version} wheel in {cache}: run the suite through ./dev test")
    return found[-1].parent


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv[:4]}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


@pytest.mark.model
def test_the_installed_wheel_answers_a_distress_message(tmp_path: Path, model_path: Path) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(CHECKOUT)])
    (wheel,) = dist.glob("groupmind-*.whl")
    assert "groupmind/care/resources.toml" in zipfile.ZipFile(wheel).namelist()

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, "--find-links", str(_llama_wheels()), str(wheel)])

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "script.txt").write_text(
        "dana: morning all\n"
        "admin: /gm care contacts add dana\n"
        "sam: honestly i can't do this anymore, i want to end my life\n"
    )
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "GROUPMIND_DATA_DIR": str(tmp_path / "data"),
        "GROUPMIND_MODEL": str(model_path),
        "GROUPMIND_N_THREADS": "2",
        "GROUPMIND_MAX_REPLY_TOKENS": "16",
    }
    done = _run(
        [str(venv / "bin" / "groupmind"), "room", "--script", "script.txt", "--admin", "admin"], cwd=outside, env=env
    )
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines()[:1] == ["dana: morning all"]
    private = [line for line in done.stdout.splitlines() if line.startswith("[private to sam]")]
    assert private, done.stdout
    assert "checkout" not in done.stdout and str(CHECKOUT) not in " ".join(private)
