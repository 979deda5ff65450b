"""scripts/setup on a machine like a fresh Debian, with stand-ins for python3, apt-get and dpkg on
PATH: it installs python3-venv when venv cannot work, and rebuilds a half-made .venv."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# A stand-in python3: `-m venv` fails until python3-venv is "installed" (as on Debian without it),
# the venv's python answers `import pip` and `-m pip install` (logged), and `-c` prints a version.
FAKE_PYTHON = """#!/usr/bin/env bash
state="$FAKE_STATE"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    echo "venv $3" >> "$state/log"
    if [ ! -f "$state/venv-installed" ]; then
        mkdir -p "$3"
        echo "The virtual environment was not created successfully because ensurepip is not" >&2
        exit 1
    fi
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
    echo "pip $*" >> "$state/log"
    [ -f "$state/pip-fails-once" ] && rm "$state/pip-fails-once" && exit 1
    exit 0
fi
if [ "$1" = "-c" ]; then
    case "$2" in *version_info*) echo "3.11" ;; esac
    exit 0
fi
exit 0
"""
FAKE_APT_GET = """#!/usr/bin/env bash
echo "apt-get $*" >> "$FAKE_STATE/log"
case " $* " in *" python3-venv "*) touch "$FAKE_STATE/venv-installed" ;; esac
"""
FAKE_SUDO = '#!/usr/bin/env bash\nexec "$@"\n'


def _script(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup", repo / "scripts" / "setup")
    (repo / "pyproject.toml").write_text("")
    tools = tmp_path / "bin"
    tools.mkdir()
    _script(tools / "python3", FAKE_PYTHON)
    _script(tools / "apt-get", FAKE_APT_GET)
    _script(tools / "apt-cache", "#!/usr/bin/env bash\nexit 1\n")
    _script(tools / "dpkg", "#!/usr/bin/env bash\nexit 0\n")  # the fonts are there
    _script(tools / "sudo", FAKE_SUDO)
    (tmp_path / "state").mkdir()
    return repo


def _setup(repo: Path) -> tuple[int, list[str]]:
    state = repo.parent / "state"
    env = {
        "PATH": f"{repo.parent / 'bin'}:/usr/bin:/bin",
        "FAKE_STATE": str(state),
        "HOME": str(repo.parent),
    }
    done = subprocess.run(
        ["bash", str(repo / "scripts" / "setup")], env=env, capture_output=True, timeout=60
    )
    log = state / "log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return done.returncode, lines


def test_setup_installs_python3_venv_when_venv_cannot_work(checkout: Path) -> None:
    code, log = _setup(checkout)
    assert code == 0
    assert log[0] == "venv .venv"  # tried, failed for want of ensurepip
    assert any(line.startswith("apt-get install") and "python3-venv" in line for line in log)
    assert log.count("venv .venv") == 2 and log[-1].startswith("pip -m pip install")
    assert (checkout / ".venv" / "bin" / "python").exists()
    assert (checkout / ".venv" / ".installed-0").exists()
    # A second run has nothing to do.
    assert _setup(checkout) == (0, [])


@pytest.mark.parametrize("damage", ["no python", "failed install"])
def test_setup_repairs_a_half_built_venv(checkout: Path, damage: str) -> None:
    (checkout.parent / "state" / "venv-installed").touch()
    assert _setup(checkout)[0] == 0
    if damage == "no python":
        (checkout / ".venv" / "bin" / "python").unlink()
    else:
        (checkout / ".venv" / ".installed-0").unlink()
        (checkout.parent / "state" / "pip-fails-once").touch()
    code, log = _setup(checkout)
    assert code == 0, log
    assert "venv .venv" in log and log[-1].startswith("pip -m pip install")
    assert (checkout / ".venv" / "bin" / "python").exists()
    assert (checkout / ".venv" / ".installed-0").exists()
    assert os.access(checkout / ".venv" / "bin" / "python", os.X_OK)
