"""Protection at rest: field encryption, keyed blind indexes, receipt hashes, one-time codes.

Everything here delegates to maintained libraries (`cryptography`, `argon2-cffi`, the standard library's
`hmac`, `hashlib` and `secrets`); nothing is hand-rolled.

- FieldCipher: Fernet (AES-128-CBC + HMAC-SHA256, authenticated) through MultiFernet, so keys rotate by
  putting a new key first in the list; older keys keep decrypting until every token is rotated.
- BlindIndex: HMAC-SHA256 with a separate key, so an e-mail address can be looked up and rate-limited
  without being stored in clear, and a short one-time code cannot be brute-forced from a database dump.
- Receipts for anonymous reports: Argon2id (slow, salted), because a 16-digit receipt is the only proof of
  ownership of an anonymous case.
- Staff and service tokens are high-entropy random strings, so a plain SHA-256 is enough to store them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2 import Type as Argon2Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = [
    "BlindIndex",
    "DecryptionError",
    "FieldCipher",
    "constant_time_equals",
    "hash_receipt",
    "hash_token",
    "new_otp",
    "new_receipt",
    "new_token",
    "normalize_email",
    "normalize_receipt",
    "receipt_needs_rehash",
    "verify_receipt",
]

OTP_DIGITS = 6
RECEIPT_DIGITS = 16
MIN_INDEX_KEY_BYTES = 16


class DecryptionError(Exception):
    """A token could not be decrypted: wrong key, tampered or not a Fernet token at all.

    The message never contains the token or the plaintext.
    """


class FieldCipher:
    """Authenticated encryption of single text fields, with key rotation."""

    def __init__(self, keys: list[str]) -> None:
        if isinstance(keys, (str, bytes)) or not keys:
            raise ValueError("FieldCipher needs a non-empty list of Fernet keys (current key first)")
        fernets = []
        for position, key in enumerate(keys):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                # Say which key is wrong, never what it contains.
                raise ValueError(f"encryption key #{position} is not a valid Fernet key") from None
        self._current = fernets[0]
        self._multi = MultiFernet(fernets)

    def encrypt(self, value: str | None) -> str | None:
        """Encrypt under the current key; None stays None (absent fields stay absent)."""
        if value is None:
            return None
        return self._multi.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        """Decrypt with any configured key; DecryptionError on a bad or tampered token."""
        if token is None:
            return None
        try:
            return self._multi.decrypt(_token_bytes(token)).decode("utf-8")
        except (InvalidToken, UnicodeError, TypeError, ValueError):
            raise DecryptionError("field could not be decrypted") from None

    def rotate(self, token: str | None) -> str | None:
        """Re-encrypt a token under the current key (for a background rotation job)."""
        if token is None:
            return None
        try:
            return self._multi.rotate(_token_bytes(token)).decode("ascii")
        except (InvalidToken, TypeError, ValueError):
            raise DecryptionError("field could not be decrypted for rotation") from None

    def is_current(self, token: str) -> bool:
        """True when the token is already encrypted under the current key (rotation can skip it)."""
        try:
            self._current.decrypt(_token_bytes(token))
        except (InvalidToken, TypeError, ValueError):
            return False
        return True

    @staticmethod
    def generate_key() -> str:
        """A fresh random Fernet key (url-safe base64 text, 32 bytes of key material)."""
        return Fernet.generate_key().decode("ascii")


def _token_bytes(token: str) -> bytes:
    if isinstance(token, bytes):
        return token
    if not isinstance(token, str):
        raise TypeError("token must be str")
    return token.encode("ascii")  # UnicodeEncodeError (a ValueError) for anything non-ASCII


def normalize_email(email: str) -> str:
    """The form an address is indexed under: Unicode NFC, surrounding whitespace removed, lower case."""
    return unicodedata.normalize("NFC", email).strip().lower()


class BlindIndex:
    """Keyed, deterministic fingerprints for equality look-ups on data that is stored encrypted."""

    def __init__(self, key: bytes) -> None:
        if isinstance(key, str):
            key = key.encode("utf-8")
        if not isinstance(key, bytes) or len(key) < MIN_INDEX_KEY_BYTES:
            raise ValueError(f"blind index key must be at least {MIN_INDEX_KEY_BYTES} bytes")
        self._key = key

    def _mac(self, purpose: bytes, *parts: str) -> str:
        # The purpose label separates the index spaces, so an e-mail index can never equal a code hash;
        # the NUL separator keeps ("ab", "c") and ("a", "bc") apart.
        message = purpose + b"\x00" + b"\x00".join(part.encode("utf-8") for part in parts)
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def email(self, email: str) -> str:
        """HMAC-SHA256 hex of the normalised address (stripped, lower case)."""
        return self._mac(b"email", normalize_email(email))

    def code(self, code: str, salt: str) -> str:
        """Keyed hash of a one-time code; `salt` ties it to one case or code row.

        Whitespace inside the code is ignored, so "123 456" and "123456" are the same code.
        """
        return self._mac(b"code", salt, re.sub(r"\s+", "", code))


def constant_time_equals(a: str, b: str) -> bool:
    """Compare secrets (hashes, tokens) without leaking the position of the first difference."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


# argon2-cffi's defaults are the RFC 9106 "low memory" profile (t=3, m=64 MiB, p=4) with Argon2id;
# stated explicitly so a library upgrade cannot silently change the algorithm.
_RECEIPT_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, salt_len=16,
                                 type=Argon2Type.ID)


def normalize_receipt(receipt: str) -> str:
    """Receipts are digits; people type them with spaces or dashes in between."""
    return re.sub(r"[\s\-]+", "", receipt)


def hash_receipt(receipt: str) -> str:
    """Argon2id hash (PHC string, `$argon2id$...`) of an anonymous-report receipt."""
    return _RECEIPT_HASHER.hash(normalize_receipt(receipt))


def verify_receipt(receipt: str, hashed: str) -> bool:
    """True when the receipt matches; False on mismatch or an unusable hash, never an exception."""
    if not isinstance(receipt, str) or not isinstance(hashed, str):
        return False
    try:
        return _RECEIPT_HASHER.verify(hashed, normalize_receipt(receipt))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def receipt_needs_rehash(hashed: str) -> bool:
    """True when a stored hash used weaker parameters than today's (rehash after a successful verify)."""
    return _RECEIPT_HASHER.check_needs_rehash(hashed)


def _digits(count: int) -> str:
    return f"{secrets.randbelow(10 ** count):0{count}d}"


def new_receipt() -> str:
    """16 random digits (may start with 0): the anonymous reporter's proof of ownership."""
    return _digits(RECEIPT_DIGITS)


def new_otp() -> str:
    """6 random digits (may start with 0) for e-mail verification."""
    return _digits(OTP_DIGITS)


def new_token(nbytes: int = 32) -> str:
    """A high-entropy url-safe token for staff and service authentication."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """SHA-256 hex of a high-entropy token (slow hashing is not needed at 256 bits of entropy)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
