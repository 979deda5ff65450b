"""WeCom callback cryptography against the vectors of WeCom's published sample (Sample.py)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.wecom.crypto import CallbackRejected, WeComCrypto, decode_key, signature

# WeCom's sample app settings and two callbacks it documents (URL verification, a text message).
TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"
VERIFY = {
    "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    "timestamp": "1476416373",
    "nonce": "47744683",
    "echostr": (
        "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
    ),
}
MESSAGE = {
    "msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
    "timestamp": "1476422779",
    "nonce": "1597212914",
    "encrypt": (
        "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzB"
        "hzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWc"
        "oD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7"
        "wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDG"
        "OCI8jmnKiypE+"
    ),
}
SAMPLE_REPLY = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)


@pytest.fixture
def crypto() -> WeComCrypto:
    return WeComCrypto(TOKEN, AES_KEY, CORP_ID)


def test_url_verification_vector_checks_and_decrypts_to_the_echo(crypto: WeComCrypto) -> None:
    v = VERIFY
    echo = crypto.open(v["msg_signature"], v["timestamp"], v["nonce"], v["echostr"])
    assert echo == b"1288432023552776189"


def test_message_vector_decrypts_to_the_documented_xml(crypto: WeComCrypto) -> None:
    m = MESSAGE
    plain = crypto.open(m["msg_signature"], m["timestamp"], m["nonce"], m["encrypt"])
    assert plain.decode("utf-8") == SAMPLE_REPLY


def test_signature_is_sha1_of_the_sorted_values() -> None:
    m = MESSAGE
    assert signature(TOKEN, m["timestamp"], m["nonce"], m["encrypt"]) == m["msg_signature"]


def test_encrypting_with_the_same_prefix_reproduces_the_vector(crypto: WeComCrypto) -> None:
    """The random prefix read back with the cryptography library directly, not our code."""
    key = decode_key(AES_KEY)
    raw = base64.b64decode(MESSAGE["encrypt"])
    plain = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor().update(raw)
    prefix = plain[:16]
    assert crypto.encrypt(SAMPLE_REPLY.encode(), prefix) == MESSAGE["encrypt"]


def test_round_trip_of_chinese_text_with_random_prefixes(crypto: WeComCrypto) -> None:
    text = "绑定 ABC123 确认签发".encode()
    first, second = crypto.encrypt(text), crypto.encrypt(text)
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == text


@pytest.mark.parametrize("field", ["msg_signature", "timestamp", "nonce"])
def test_any_changed_signed_value_is_rejected(crypto: WeComCrypto, field: str) -> None:
    m = dict(MESSAGE)
    m[field] = m[field][:-1] + ("0" if m[field][-1] != "0" else "1")
    with pytest.raises(CallbackRejected, match="signature"):
        crypto.open(m["msg_signature"], m["timestamp"], m["nonce"], m["encrypt"])


def test_a_message_for_another_corp_is_rejected() -> None:
    other = WeComCrypto(TOKEN, AES_KEY, "ww0000000000000000")
    m = MESSAGE
    with pytest.raises(CallbackRejected, match="receiver"):
        other.open(m["msg_signature"], m["timestamp"], m["nonce"], m["encrypt"])


def test_a_wrong_key_fails_on_padding_or_receiver() -> None:
    other = WeComCrypto(TOKEN, "a" * 43, CORP_ID)
    with pytest.raises(CallbackRejected):
        other.decrypt(MESSAGE["encrypt"])


def test_garbage_ciphertext_is_rejected_not_crashing(crypto: WeComCrypto) -> None:
    for bad in ("not base64!", "", base64.b64encode(b"x" * 15).decode()):
        with pytest.raises(CallbackRejected):
            crypto.decrypt(bad)


def test_malformed_encoding_aes_keys_are_refused() -> None:
    for bad in ("short", "!" * 43, AES_KEY + "A"):
        with pytest.raises(ValueError):
            decode_key(bad)
