"""Signing-key settings for test suites: every key is encrypted (no key is ever stored in
clear), here with one known passphrase per kind and the cheap argon2 cost.

Merge :data:`KEY_ENV` into the environment of a lab or ``lccu`` command that creates users
or signs custody events."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lccu.evidence.keys import KeyStore

#: a user's passphrase for unlocking (LCCU_PASSPHRASE) and for new keys
#: (LCCU_NEW_PASSPHRASE), the unit key's, and the test-only argon2 cost
PASSPHRASE = "lccu test passphrase"
UNIT_PASSPHRASE = "lccu test unit passphrase"
KEY_ENV = {
    "LCCU_PASSPHRASE": PASSPHRASE,
    "LCCU_NEW_PASSPHRASE": PASSPHRASE,
    "LCCU_UNIT_PASSPHRASE": UNIT_PASSPHRASE,
    "LCCU_KEY_KDF": "test",
}



def forger_keys(key_dir: Path, passphrase: str = PASSPHRASE) -> KeyStore:
    """The key folder as someone holding every test user's passphrase opens it: signs as
    anyone (what forging events across users takes, for the forgery-detection tests)."""
    from lccu.evidence.keys import KeyStore

    return KeyStore(key_dir, passphrase=lambda _name: passphrase)


def sign_as(key_dir: Path, username: str, message: bytes, passphrase: str = PASSPHRASE) -> str:
    """``username``'s signature of ``message`` made with their key file and passphrase."""
    return forger_keys(key_dir, passphrase).sign(username, message)
