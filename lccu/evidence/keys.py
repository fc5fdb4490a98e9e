"""Ed25519 signing keys of users, kept outside the database.

The private key lives in ``<key_dir>/<username>.ed25519.pem`` (PKCS#8, mode 0600 in a 0700
directory); the database holds only the public key and its fingerprint (``key_id``). Someone
who can rewrite the database therefore cannot sign as another user, and a file whose
permissions allow others to read it is refused rather than used.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lccu.errors import InvalidInput, KeyStoreError
from lccu.evidence.canonical import sha256_hex

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_username(name: str) -> str:
    """User names become file names: allow letters, digits, dot, dash, underscore only."""
    if not _NAME.match(name):
        raise InvalidInput(
            f"invalid user name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def public_key_hex(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def key_id_of(public_hex: str) -> str:
    """A key's fingerprint: SHA-256 of the raw 32-byte public key, hex."""
    return sha256_hex(bytes.fromhex(public_hex))


def load_public_key(public_hex: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
    except ValueError as exc:
        raise KeyStoreError(f"malformed Ed25519 public key {public_hex[:16]}...") from exc


def verify_signature(public_hex: str, signature_hex: str, message: bytes) -> bool:
    try:
        load_public_key(public_hex).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, KeyStoreError):
        return False
    return True


class KeyStore:
    """Private keys on disk, one file per user, readable by the owner only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, username: str) -> Path:
        return self.directory / f"{check_username(username)}.ed25519.pem"

    def create(self, username: str) -> str:
        """Create and store a new key for ``username``; return its public key (hex)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        path = self._path(username)
        if path.exists():
            raise KeyStoreError(
                f"a signing key for {username!r} already exists at {path}; "
                "move it away only if that user is really being re-created"
            )
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return public_key_hex(key.public_key())

    def load(self, username: str) -> Ed25519PrivateKey:
        path = self._path(username)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError as exc:
            raise KeyStoreError(
                f"no signing key for {username!r} in {self.directory}: this machine cannot "
                "sign custody events as that user (set LCCU_KEY_DIR or LCCU_HOME)"
            ) from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyStoreError(
                f"signing key {path} is readable by others (mode {stat.S_IMODE(mode):o}); "
                "run chmod 600 on it"
            )
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyStoreError(f"{path} is not an Ed25519 private key")
        return key

    def sign(self, username: str, message: bytes) -> str:
        return self.load(username).sign(message).hex()

    def retire(self, username: str, key_id: str) -> None:
        """Move ``username``'s key file aside (a rotation): it is no longer used to sign."""
        path = self._path(username)
        if path.exists():
            path.rename(path.with_name(f"{path.name}.{key_id[:16]}.retired"))

    # -- the unit key ---------------------------------------------------------------------

    @property
    def unit_path(self) -> Path:
        """The unit key's file: in its own folder, so no user name can collide with it."""
        return self.directory / "unit" / "unit.ed25519.pem"

    def has_unit_key(self) -> bool:
        return self.unit_path.exists()

    def create_unit(self) -> str:
        """Create the unit signing key (once); return its public key (hex)."""
        folder = self.unit_path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        os.chmod(folder, 0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd = os.open(self.unit_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return public_key_hex(key.public_key())

    def load_unit(self) -> Ed25519PrivateKey:
        path = self.unit_path
        try:
            mode = path.stat().st_mode
        except FileNotFoundError as exc:
            raise KeyStoreError(f"the unit key is not on this machine ({path}): certify keys "
                                "where the unit's operators keep it") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyStoreError(f"the unit key {path} is readable by others (mode "
                                f"{stat.S_IMODE(mode):o}); run chmod 600 on it")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyStoreError(f"{path} is not an Ed25519 private key")
        return key

    def unit_public(self) -> str | None:
        """The unit's public key (hex), or None when this machine has no unit key."""
        if not self.has_unit_key():
            return None
        return public_key_hex(self.load_unit().public_key())
