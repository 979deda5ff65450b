"""WeCom's callback cryptography (WXBizMsgCrypt): SHA-1 signatures and AES-256-CBC bodies.

msg_signature = SHA-1 of the sorted concatenation of token, timestamp, nonce and the ciphertext.
The AES key is base64(EncodingAESKey + "="), 32 bytes; the IV is its first 16 bytes; the padding is
PKCS#7 to a multiple of 32 bytes. Plaintext = 16 random bytes, the message length as 4 bytes
big-endian, the message, then the receiver id (our CorpID), which we check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CallbackRejected(Exception):
    """A callback that is not provably WeCom's for our app: bad signature, key, or receiver."""


def decode_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key from the 43-character EncodingAESKey."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error:
        raise ValueError("EncodingAESKey is not base64") from None
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError("EncodingAESKey must be 43 characters (a 32-byte key)")
    return key


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """WeCom's msg_signature over the four values."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypted))).encode()).hexdigest()


class WeComCrypto:
    """Signs, verifies, encrypts and decrypts callback bodies for one app."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token = token
        self.key = decode_key(encoding_aes_key)
        self.receive_id = receive_id

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return signature(self.token, timestamp, nonce, encrypted)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = self.sign(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), msg_signature.lower().encode()):
            raise CallbackRejected("signature")

    def decrypt(self, encrypted: str) -> bytes:
        """The message inside `encrypted`, which must be addressed to our receiver id."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except binascii.Error:
            raise CallbackRejected("base64") from None
        if not data or len(data) % 16:
            raise CallbackRejected("length")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CallbackRejected("padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise CallbackRejected("length")
        (size,) = struct.unpack(">I", plain[16:20])
        message, receiver = plain[20 : 20 + size], plain[20 + size :]
        if len(message) != size:
            raise CallbackRejected("length")
        if not hmac.compare_digest(receiver, self.receive_id.encode()):
            raise CallbackRejected("receiver")
        return message

    def encrypt(self, message: bytes, prefix: bytes | None = None) -> str:
        """`message` as WeCom encrypts it (random 16-byte prefix unless given)."""
        prefix = os.urandom(16) if prefix is None else prefix
        plain = prefix + struct.pack(">I", len(message)) + message + self.receive_id.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def open(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> bytes:
        """Verify, then decrypt: what every callback goes through."""
        self.verify(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)
