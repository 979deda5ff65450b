"""Settings: qianfa.toml plus QIANFA_* overrides, typed and validated, secrets masked."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from issuance.config import EXAMPLE_SETTINGS

from issuance.core.settings import Secret, SettingsError, load_settings, write_initial_config


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert settings.web_port == 8080
    assert settings.public_url == "http://127.0.0.1:8080"
    assert settings.database_path == tmp_path / "qianfa.db"
    assert settings.signoff_order == ("培训评价组织", "考核站点")


def test_toml_values_are_read_by_section(tmp_path: Path) -> None:
    (tmp_path / "qianfa.toml").write_text(
        'public_url = "https://qf.example.cn"\n[web]\nport = 9000\n'
        '[telegram]\ntoken = "123:abc"\n[signoff]\norder = ["考核站点", "培训评价组织"]\n',
        encoding="utf-8",
    )
    settings = load_settings(tmp_path, environ={})
    assert settings.public_url == "https://qf.example.cn"
    assert settings.web_port == 9000
    assert settings.telegram_token == "123:abc"
    assert settings.signoff_order == ("考核站点", "培训评价组织")


def test_environment_overrides_the_file_under_the_documented_names(tmp_path: Path) -> None:
    (tmp_path / "qianfa.toml").write_text("[web]\nport = 9000\n", encoding="utf-8")
    settings = load_settings(
        tmp_path,
        environ={
            "QIANFA_WEB_PORT": "9100",
            "QIANFA_WEB_HOST": "0.0.0.0",
            "QIANFA_TELEGRAM_TOKEN": "999:zzz",
            "QIANFA_TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
            "QIANFA_PUBLIC_URL": "https://qianfa.example.cn",
            "QIANFA_DATABASE_URL": f"sqlite:///{tmp_path}/other.db",
            "QIANFA_SIGNOFF_ORDER": "考核站点, 培训评价组织",
            "QIANFA_WORKER_REMINDER_OFFSETS_HOURS": "48,6.5",
            "QIANFA_SECRET_KEY": "s3cret",
        },
    )
    assert settings.web_port == 9100
    assert settings.web_host == "0.0.0.0"
    assert settings.telegram_token == "999:zzz"
    assert settings.bot_base_url == "http://127.0.0.1:8081/bot"
    assert settings.public_url == "https://qianfa.example.cn"
    assert settings.database_path == tmp_path / "other.db"
    assert settings.signoff_order == ("考核站点", "培训评价组织")
    assert settings.worker_reminder_offsets_hours == (48.0, 6.5)
    assert settings.secret_key == "s3cret"


@pytest.mark.parametrize(
    ("name", "value", "key"),
    [
        ("QIANFA_WEB_PORT", "eighty", "web.port"),
        ("QIANFA_WEB_PORT", "70000", "web.port"),
        ("QIANFA_WORKER_TICK_SECONDS", "often", "worker.tick_seconds"),
        ("QIANFA_PUBLIC_URL", "qianfa.example.cn", "public_url"),
        ("QIANFA_SIGNOFF_ORDER", "考核站点", "signoff.order"),
        ("QIANFA_WORKER_QUIET_HOURS", "late", "worker.quiet_hours"),
        ("QIANFA_SIGNOFF_SIGNING_TTL_MINUTES", "0", "signoff.signing_ttl_minutes"),
        ("QIANFA_DATABASE_URL", "mysql://db/qianfa", "database.url"),
        ("QIANFA_DATABASE_BUSY_TIMEOUT_SECONDS", "-1", "database.busy_timeout_seconds"),
        ("QIANFA_DATABASE_BUSY_TIMEOUT_SECONDS", "soon", "database.busy_timeout_seconds"),
        ("QIANFA_FILES_GROUP", "no-such-group-here", "files.group"),
    ],
)
def test_a_wrong_value_fails_naming_the_key(
    tmp_path: Path, name: str, value: str, key: str
) -> None:
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        load_settings(tmp_path, environ={name: value})


def test_a_wrong_value_in_the_file_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "qianfa.toml").write_text('[web]\nport = "x"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"web\.port"):
        load_settings(tmp_path, environ={})


def test_a_broken_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "qianfa.toml").write_text("[web\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"qianfa\.toml"):
        load_settings(tmp_path, environ={})


def test_secrets_are_masked_in_repr(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path,
        environ={
            "QIANFA_TELEGRAM_TOKEN": "123456:SECRET-TOKEN",
            "QIANFA_SECRET_KEY": "KEY-VALUE",
            "QIANFA_DATABASE_URL": "postgresql://qianfa:DB-PASSWORD@db/qianfa",
        },
    )
    text = repr(settings) + str(settings) + f"{settings}"
    assert "SECRET-TOKEN" not in text
    assert "KEY-VALUE" not in text
    assert "DB-PASSWORD" not in text
    assert settings.database == "postgresql://qianfa:DB-PASSWORD@db/qianfa"
    assert "**********" in text
    assert isinstance(settings.telegram_token, Secret)
    assert settings.telegram_token == "123456:SECRET-TOKEN"  # still usable as the value


@pytest.mark.parametrize(
    ("base", "file_base"),
    [
        ("", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/file/bot"),
        ("https://botapi.example.cn/tg/bot", "https://botapi.example.cn/tg/file/bot"),
        ("https://botapi.example.cn", "https://botapi.example.cn/file/bot"),
    ],
)
def test_base_file_url_is_derived_from_the_base_url(
    tmp_path: Path, base: str, file_base: str
) -> None:
    settings = load_settings(tmp_path, environ={"QIANFA_TELEGRAM_BASE_URL": base})
    assert settings.bot_base_file_url == file_base


def test_an_explicit_base_file_url_wins(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path,
        environ={
            "QIANFA_TELEGRAM_BASE_URL": "http://a/bot",
            "QIANFA_TELEGRAM_BASE_FILE_URL": "http://files/fb",
        },
    )
    assert settings.bot_base_file_url == "http://files/fb"


def test_initial_config_has_fresh_secrets_and_is_never_overwritten(tmp_path: Path) -> None:
    assert write_initial_config(tmp_path)
    path = tmp_path / "qianfa.toml"
    first = load_settings(tmp_path, environ={})
    assert len(first.secret_key) >= 32
    assert len(first.telegram_webhook_secret) >= 24
    assert path.stat().st_mode & 0o077 == 0
    text = path.read_text(encoding="utf-8")
    assert not write_initial_config(tmp_path)
    assert path.read_text(encoding="utf-8") == text
    other = tmp_path / "other"
    write_initial_config(other)
    assert load_settings(other, environ={}).secret_key != first.secret_key


def _leads_with_chinese(text: str) -> bool:
    """Whether the first letter of `text` is a CJK character (not Latin)."""
    first = next((c for c in text if c.isalpha()), "")
    return "\u4e00" <= first <= "\u9fff"


def test_every_comment_of_the_example_reads_chinese_first_then_english() -> None:
    lines = EXAMPLE_SETTINGS.read_text(encoding="utf-8").splitlines()
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(lines, 1):
        if line.startswith("#"):
            blocks[-1].append((number, line.removeprefix("#").strip()))
        elif blocks[-1]:
            blocks.append([])
    wrong = []
    for block in filter(None, blocks):
        # A line that is one ASCII word (a key or URL example) is neither language.
        prose = [
            (n, text)
            for n, text in block
            if any(c.isalpha() for c in text) and not re.fullmatch(r"[!-~]+", text)
        ]
        if not _leads_with_chinese(prose[0][1]):
            wrong.append(f"line {prose[0][0]}: not Chinese first: {prose[0][1]}")
        if all(_leads_with_chinese(text) for _, text in prose):
            wrong.append(f"line {prose[0][0]}: no English after the Chinese")
    assert wrong == []


def test_the_example_holds_the_defaults(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE_SETTINGS, tmp_path / "qianfa.toml")
    example = load_settings(tmp_path, environ={})
    assert example == replace(load_settings(tmp_path / "none", environ={}), home=tmp_path)
