"""Field encryption, rotation, blind indexes, receipts and codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from cryptography.fernet import Fernet

from backend.crypto import (
    BlindIndex,
    DecryptionError,
    FieldCipher,
    constant_time_equals,
    hash_receipt,
    hash_token,
    new_otp,
    new_receipt,
    new_token,
    receipt_needs_rehash,
    verify_receipt,
)


@pytest.fixture
def old_key() -> str:
    return FieldCipher.generate_key()


@pytest.fixture
def new_key() -> str:
    return FieldCipher.generate_key()


# --- FieldCipher ---------------------------------------------------------------------------------

def test_round_trip_unicode(old_key: str) -> None:
    cipher = FieldCipher([old_key])
    for value in ["Åsa Ødegård-Æbelø", "", "anna@example.com", "x" * 5000]:
        token = cipher.encrypt(value)
        assert isinstance(token, str) and token != value
        assert value not in token or value == ""
        assert cipher.decrypt(token) == value


def test_none_stays_none(old_key: str) -> None:
    cipher = FieldCipher([old_key])
    assert cipher.encrypt(None) is None
    assert cipher.decrypt(None) is None
    assert cipher.rotate(None) is None


def test_encryption_is_randomised(old_key: str) -> None:
    cipher = FieldCipher([old_key])
    assert cipher.encrypt("same") != cipher.encrypt("same")


def test_generate_key_is_a_fernet_key() -> None:
    key = FieldCipher.generate_key()
    assert isinstance(key, str)
    assert len(base64.urlsafe_b64decode(key)) == 32
    Fernet(key)  # accepted by the library itself
    assert FieldCipher.generate_key() != key


def test_rotation(old_key: str, new_key: str) -> None:
    old_cipher = FieldCipher([old_key])
    old_token = old_cipher.encrypt("Kari Nordmann")

    rotating = FieldCipher([new_key, old_key])
    # The old key still decrypts after the new key is put first.
    assert rotating.decrypt(old_token) == "Kari Nordmann"
    assert not rotating.is_current(old_token)
    # New writes use the new key only.
    fresh = rotating.encrypt("Per")
    assert FieldCipher([new_key]).decrypt(fresh) == "Per"
    with pytest.raises(DecryptionError):
        old_cipher.decrypt(fresh)

    rotated = rotating.rotate(old_token)
    assert rotated != old_token
    assert rotating.is_current(rotated)
    new_only = FieldCipher([new_key])
    assert new_only.decrypt(rotated) == "Kari Nordmann"
    # Once the old key is removed, un-rotated tokens are unreadable.
    with pytest.raises(DecryptionError):
        new_only.decrypt(old_token)
    with pytest.raises(DecryptionError):
        new_only.rotate(old_token)


def test_tampered_token_raises(old_key: str) -> None:
    cipher = FieldCipher([old_key])
    token = cipher.encrypt("secret")
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-40] ^= 0x01  # flip one bit of the ciphertext
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(DecryptionError):
        cipher.decrypt(tampered)
    for garbage in ["", "not a token", "gAAAAA", "åäö", token[:-4]]:
        with pytest.raises(DecryptionError):
            cipher.decrypt(garbage)


def test_wrong_key_raises(old_key: str, new_key: str) -> None:
    token = FieldCipher([old_key]).encrypt("secret")
    with pytest.raises(DecryptionError) as info:
        FieldCipher([new_key]).decrypt(token)
    assert "secret" not in str(info.value) and token not in str(info.value)


def test_bad_key_lists_rejected_without_echoing_the_key() -> None:
    with pytest.raises(ValueError):
        FieldCipher([])
    with pytest.raises(ValueError):
        FieldCipher(FieldCipher.generate_key())  # type: ignore[arg-type]  # a str, not a list
    with pytest.raises(ValueError) as info:
        FieldCipher([FieldCipher.generate_key(), "short-and-wrong"])
    assert "short-and-wrong" not in str(info.value)
    assert "#1" in str(info.value)


# --- BlindIndex ----------------------------------------------------------------------------------

def test_blind_index_stable_and_case_insensitive() -> None:
    key = b"k" * 32
    index = BlindIndex(key)
    value = index.email("Anna.Svensson@Example.COM ")
    assert value == BlindIndex(key).email("  anna.svensson@example.com")
    assert value == index.email("ANNA.SVENSSON@EXAMPLE.COM")
    assert len(value) == 64 and int(value, 16) >= 0
    # Independently computed: HMAC-SHA256 over the purpose label and the normalised address.
    assert value == hmac.new(key, b"email\x00anna.svensson@example.com", hashlib.sha256).hexdigest()
    assert "anna" not in value
    assert value != index.email("anna.svensson@example.se")


def test_blind_index_depends_on_key() -> None:
    assert BlindIndex(b"a" * 32).email("x@example.com") != BlindIndex(b"b" * 32).email("x@example.com")
    # A plain unkeyed hash of the address is not what is stored.
    plain = hashlib.sha256(b"x@example.com").hexdigest()
    assert BlindIndex(b"a" * 32).email("x@example.com") != plain


def test_blind_index_key_length() -> None:
    with pytest.raises(ValueError):
        BlindIndex(b"short")
    BlindIndex(b"0123456789abcdef")


def test_code_hash_keyed_and_salted() -> None:
    index = BlindIndex(b"c" * 32)
    hashed = index.code("012345", "case-1")
    assert hashed == index.code("012 345", "case-1")
    assert hashed != index.code("012346", "case-1")
    assert hashed != index.code("012345", "case-2")
    assert hashed != BlindIndex(b"d" * 32).code("012345", "case-1")
    assert hashed != hashlib.sha256(b"012345").hexdigest()
    # Separate index spaces: an e-mail fingerprint can never collide with a code hash of the same text.
    assert index.code("a@b.se", "") != index.email("a@b.se")


def test_constant_time_equals() -> None:
    assert constant_time_equals("abc", "abc")
    assert not constant_time_equals("abc", "abd")
    assert not constant_time_equals("abc", "abcd")
    assert constant_time_equals("åäö", "åäö")


# --- receipts, codes, tokens ---------------------------------------------------------------------

def test_receipt_hash_is_argon2id_and_verifies() -> None:
    receipt = new_receipt()
    hashed = hash_receipt(receipt)
    assert hashed.startswith("$argon2id$")
    params = extract_parameters(hashed)
    assert params.type is Type.ID
    assert params.memory_cost >= 65536 and params.time_cost >= 3
    assert receipt not in hashed
    assert verify_receipt(receipt, hashed)
    spaced = " ".join(receipt[i:i + 4] for i in range(0, 16, 4))
    assert verify_receipt(spaced, hashed)
    # A standard Argon2 verifier accepts it too (it is a normal PHC string).
    assert PasswordHasher().verify(hashed, receipt)
    assert not receipt_needs_rehash(hashed)


def test_receipt_hashes_are_salted() -> None:
    assert hash_receipt("0000111122223333") != hash_receipt("0000111122223333")


def test_verify_receipt_false_on_mismatch_never_raises() -> None:
    hashed = hash_receipt("1234567812345678")
    assert verify_receipt("1234567812345679", hashed) is False
    assert verify_receipt("", hashed) is False
    assert verify_receipt("1234567812345678", "not-a-hash") is False
    assert verify_receipt("1234567812345678", "") is False
    assert verify_receipt("1234567812345678", hashed.replace("$argon2id$", "$argon2i$")) is False
    assert verify_receipt(None, hashed) is False  # type: ignore[arg-type]


def test_receipt_hash_takes_real_work() -> None:
    start = time.perf_counter()
    hash_receipt("1234567812345678")
    assert time.perf_counter() - start > 0.005  # a fast hash would make 16 digits cheaper to guess


def test_codes_are_always_right_length_digits() -> None:
    otps = [new_otp() for _ in range(5000)]
    receipts = [new_receipt() for _ in range(2000)]
    assert all(len(c) == 6 and c.isdigit() and c.isascii() for c in otps)
    assert all(len(r) == 16 and r.isdigit() and r.isascii() for r in receipts)
    # Leading zeros are kept (1 in 10 codes starts with 0); 5000 draws make missing them very unlikely.
    assert any(c.startswith("0") for c in otps)
    assert any(r.startswith("0") for r in receipts)
    # Spread over the digits, not a constant or a counter.
    assert len(set(otps)) > 4800
    assert {c[0] for c in otps} == set("0123456789")


def test_hash_token() -> None:
    token = new_token()
    assert len(token) >= 43
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert hash_token(token) != hash_token(new_token())
