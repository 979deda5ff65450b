"""config/'s deployment files: systemd units pass `systemd-analyze verify`, the nginx site passes
`nginx -t`, logrotate reads its file, and each agrees with Qianfa's own settings and limits."""

from __future__ import annotations

import configparser
import getpass
import grp
import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from qianfa.cli import build_parser
from web.context import MAX_BODY

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
QIANFA = Path(sys.executable).with_name("qianfa")
INSTALLED = "/opt/qianfa/.venv/bin/qianfa"
UNITS = sorted((CONFIG / "systemd").glob("*.service"))


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    assert found, f"{name} is missing: run scripts/setup --test (it installs the Debian package)"
    return found


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def test_every_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    assert {u.name for u in UNITS} == {
        "qianfa.service",
        "qianfa-web.service",
        "qianfa-bot.service",
        "qianfa-worker.service",
    }
    for source in [*UNITS, *(CONFIG / "systemd").glob("*.target")]:
        # The installed path does not exist here: point ExecStart at this checkout's qianfa.
        text = source.read_text(encoding="utf-8").replace(
            "/opt/qianfa/.venv/bin/qianfa", str(QIANFA)
        )
        (tmp_path / source.name).write_text(text, encoding="utf-8")
    names = sorted(str(p) for p in tmp_path.iterdir())
    checked = subprocess.run(
        [_tool("systemd-analyze"), "verify", *names], capture_output=True, text=True, cwd=tmp_path
    )
    # verify exits 0 on unknown keys and bad values, only saying so: any word is a finding.
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr


def test_a_unit_with_a_misspelt_key_is_caught_by_the_same_check(tmp_path: Path) -> None:
    text = UNITS[0].read_text(encoding="utf-8").replace(INSTALLED, str(QIANFA))
    broken = tmp_path / "qianfa-broken.service"
    broken.write_text(text.replace("ProtectSystem=strict", "ProtectSystm=strict"), encoding="utf-8")
    checked = subprocess.run(
        [_tool("systemd-analyze"), "verify", str(broken)], capture_output=True, text=True
    )
    assert "ProtectSystm" in checked.stderr


def test_units_run_a_real_command_as_a_dedicated_user_confined_to_the_home() -> None:
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for path in UNITS:
        service = _unit(path)["Service"]
        text = path.read_text(encoding="utf-8")
        home = re.search(r"^Environment=QIANFA_HOME=(\S+)$", text, re.M)
        assert home is not None, path.name
        assert re.search(rf"^ReadWritePaths={re.escape(home.group(1))}$", text, re.M), path.name
        assert re.search(r"^ProtectSystem=strict$", text, re.M), path.name
        assert re.search(r"^Restart=on-failure$", text, re.M), path.name
        assert service["User"] == "qianfa" and service["User"] != "root"
        command = service["ExecStart"].split()[1]
        assert command in commands and command in ("run", "web", "bot", "worker"), path.name
    ports = [re.search(r"QIANFA_METRICS_PORT=(\d+)", u.read_text()) for u in UNITS]
    # Split processes each serve their own /metrics: no two units share a port.
    assert all(ports) and len({p.group(1) for p in ports if p}) == len(UNITS)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "qianfa.example.cn")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _nginx_test(site: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    cert, key = _self_signed(tmp_path)
    site = site.replace("/etc/letsencrypt/live/qianfa.example.cn/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/qianfa.example.cn/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        # Temporary paths of our own: nginx -t creates them, and /var/lib/nginx is root's.
        f"http {{\n    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n    include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [_tool("nginx"), "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
    )


def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    site = (CONFIG / "nginx" / "qianfa.conf").read_text(encoding="utf-8")
    checked = _nginx_test(site, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_nginx_t_catches_a_broken_site(tmp_path: Path) -> None:
    site = (CONFIG / "nginx" / "qianfa.conf").read_text(encoding="utf-8")
    checked = _nginx_test(
        site.replace("client_max_body_size 2m;", "client_max_body_size;"), tmp_path
    )
    assert checked.returncode != 0


def test_the_nginx_site_agrees_with_qianfas_settings_and_limits() -> None:
    site = (CONFIG / "nginx" / "qianfa.conf").read_text(encoding="utf-8")
    example = tomllib.loads((CONFIG / "qianfa.example.toml").read_text(encoding="utf-8"))
    web = example["web"]
    # The proxy reaches Qianfa where it listens, from an address Qianfa trusts for X-Forwarded-*.
    upstream = re.search(r"upstream qianfa \{\s*server ([\d.]+):(\d+);", site)
    assert upstream is not None
    assert (upstream.group(1), int(upstream.group(2))) == (web["host"], web["port"])
    trusted = [ip.strip() for ip in web["forwarded_allow_ips"].split(",")]
    assert upstream.group(1) in trusted
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    size = re.search(r"client_max_body_size (\d+)m;", site)
    assert size is not None and int(size.group(1)) * 1024 * 1024 == MAX_BODY
    assert re.search(r"location ~ \"\^/WW_verify_", site)
    assert re.search(r"location = /metrics \{\s*return 404;", site)
    assert "ssl_certificate " in site and "listen 443 ssl" in site


def test_logrotate_reads_the_file_and_would_rotate_qianfas_logs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "web.log").write_text("x" * 10, encoding="utf-8")
    text = (CONFIG / "logrotate" / "qianfa").read_text(encoding="utf-8")
    assert "/var/log/qianfa/*.log" in text
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    text = text.replace("/var/log/qianfa", str(logs)).replace(
        "su qianfa qianfa", f"su {user} {group}"
    )
    (tmp_path / "qianfa").write_text(text, encoding="utf-8")
    checked = subprocess.run(
        [
            _tool("logrotate"),
            "--force",
            "--verbose",
            "--state",
            str(tmp_path / "state"),
            str(tmp_path / "qianfa"),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    # copytruncate: the running unit's file stays in place, emptied; the old lines moved aside.
    assert (logs / "web.log").read_text() == ""
    assert (logs / "web.log.1").read_text() == "x" * 10


@pytest.mark.parametrize("unit", [u.name for u in UNITS])
def test_unit_logs_go_where_logrotate_looks(unit: str) -> None:
    text = (CONFIG / "systemd" / unit).read_text(encoding="utf-8")
    assert re.search(r"^StandardOutput=append:/var/log/qianfa/\w+\.log$", text, re.M)
