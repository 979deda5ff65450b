"""[wecom] settings: all five or none, checked formats, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from issuance.core.settings import SettingsError, load_settings

GOOD = {
    "QIANFA_WECOM_CORP_ID": "ww1436e0e65a779aee",
    "QIANFA_WECOM_AGENT_ID": "1000002",
    "QIANFA_WECOM_SECRET": "app-secret-value",
    "QIANFA_WECOM_TOKEN": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
    "QIANFA_WECOM_ENCODING_AES_KEY": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
}


def test_without_settings_the_channel_is_off(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert not settings.wecom_enabled
    assert settings.wecom_api_url == "https://qyapi.weixin.qq.com"


def test_all_five_turn_it_on_and_secrets_stay_masked(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ=GOOD | {"QIANFA_WECOM_BASE_URL": "http://x/"})
    assert settings.wecom_enabled and settings.wecom_agent_id == 1000002
    assert settings.wecom_api_url == "http://x"
    shown = repr(settings)
    for secret in (
        "app-secret-value",
        GOOD["QIANFA_WECOM_TOKEN"],
        GOOD["QIANFA_WECOM_ENCODING_AES_KEY"],
    ):
        assert secret not in shown


def test_the_toml_section_is_read(tmp_path: Path) -> None:
    (tmp_path / "qianfa.toml").write_text(
        '[wecom]\ncorp_id = "ww1"\nagent_id = 7\nsecret = "s"\ntoken = "tok"\n'
        'encoding_aes_key = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"\n',
        encoding="utf-8",
    )
    settings = load_settings(tmp_path, environ={})
    assert settings.wecom_enabled and settings.wecom_corp_id == "ww1"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"QIANFA_WECOM_SECRET": ""}, "wecom.secret"),
        ({"QIANFA_WECOM_AGENT_ID": "abc"}, "wecom.agent_id"),
        ({"QIANFA_WECOM_ENCODING_AES_KEY": "short"}, "wecom.encoding_aes_key"),
        ({"QIANFA_WECOM_TOKEN": "a b"}, "wecom.token"),
        ({"QIANFA_WECOM_BASE_URL": "ftp://x"}, "wecom.base_url"),
    ],
)
def test_a_wrong_or_missing_value_names_the_key(
    tmp_path: Path, change: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(tmp_path, environ=GOOD | change)
