"""A non-editable install into a fresh virtual environment finds all its package data: settings
example, certificate template, migrations, message catalogs, web templates and static files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding a wheel built from this checkout; the dependencies are this venv's
    (a path entry, so nothing is downloaded and this checkout's editable install stays out)."""
    folder = tmp_path_factory.mktemp("install")
    # Built from a copy of what a source distribution holds: no stale build/ of the checkout
    # can slip old files into the wheel, and the checkout gets none.
    source = folder / "source"
    for name in ("pyproject.toml", "README.md"):
        source.mkdir(exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    for package in ("issuance", "bot", "worker", "web", "qianfa", "config"):
        shutil.copytree(
            REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    wheels = folder / "wheels"
    _run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-index", "--wheel-dir", wheels, source,
        cwd=folder,
    )  # fmt: skip
    (wheel,) = wheels.glob("qianfa-*.whl")
    venv = folder / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=folder)
    python = venv / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=folder)
    (Path(site.strip()) / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheel,
        cwd=folder,
    )  # fmt: skip
    return venv


def test_a_wheel_installed_elsewhere_runs_init_demo_and_verify(
    installed: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "home"
    env = {key: value for key, value in os.environ.items() if not key.startswith("QIANFA_")}
    env["PYTHONPATH"] = ""
    qianfa = installed / "bin" / "qianfa"
    where = _run(
        installed / "bin" / "python", "-c",
        "import issuance, web; print(issuance.__file__, web.__file__)",
        cwd=elsewhere, env=env,
    )  # fmt: skip
    assert str(REPO) not in where and str(installed) in where

    init = json.loads(
        _run(qianfa, "--home", home, "init", "--demo", "--json", cwd=elsewhere, env=env)
    )
    assert init["demo"] == "loaded"
    assert 'secret_key = ""' not in (home / "qianfa.toml").read_text(encoding="utf-8")
    with sqlite3.connect(home / "qianfa.db") as db:
        ((cert_no, id_number),) = db.execute(
            "SELECT r.cert_no, s.id_number FROM record r JOIN exam_result er ON er.id = r.result_id"
            " JOIN student s ON s.id = er.student_id WHERE r.status = '确认签发' LIMIT 1"
        ).fetchall()
    answer = json.loads(
        _run(qianfa, "--home", home, "verify", cert_no, id_number, "--json", cwd=elsewhere, env=env)
    )
    assert answer["status"] == "valid" and answer["cert_no"] == cert_no
    chinese = _run(qianfa, "--home", home, "verify", cert_no, id_number, cwd=elsewhere, env=env)
    assert "有效" in chinese  # the message catalog came from the installed package
    assets = _run(
        installed / "bin" / "python", "-c",
        "from importlib import resources;"
        "from issuance.formats.certificate import DEFAULT_TEMPLATE, load_template;"
        "from web.pages import message_page;"
        "load_template(DEFAULT_TEMPLATE);"
        "print(len(message_page('expired')));"
        "print((resources.files('web') / 'static' / 'app.css').is_file())",
        cwd=elsewhere, env=env,
    )  # fmt: skip
    page_length, css = assets.split()
    assert int(page_length) > 200 and css == "True"


def test_the_installed_qianfa_run_demo_serves_pages_until_told_to_stop(
    installed: Path, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("QIANFA_")}
    env.update(PYTHONPATH="", QIANFA_WEB_PORT=str(port))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    command = [str(installed / "bin" / "qianfa"), "--home", str(tmp_path / "home"), "run", "--demo"]
    process = subprocess.Popen(
        command, cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        page = None
        give_up = time.monotonic() + 120  # a safety net, not a timing assertion
        while page is None and process.poll() is None and time.monotonic() < give_up:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/verify", timeout=5) as answer:
                    page = answer.read().decode("utf-8")
            except OSError:
                time.sleep(0.2)
        assert page is not None, "qianfa run --demo never served the verification page"
        assert "证书" in page and "/static/" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/app.css", timeout=5) as css:
            assert css.status == 200 and css.read()
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0].decode("utf-8", "replace")
    assert process.returncode == 0, output
