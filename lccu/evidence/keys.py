"""Ed25519 signing keys of users, kept outside the database.

The private key lives in ``<key_dir>/<username>.ed25519.key``, encrypted with a key derived
from the user's passphrase (argon2id, then AES-256-GCM with the user name and public key as
associated data), mode 0600 in a 0700 directory; the database holds only the public key and
its fingerprint (``key_id``). Someone who can rewrite the database, or read the key folder,
therefore cannot sign as another user without that user's passphrase. No key is ever
written in clear: creating one without a passphrase is an error. A clear key left by an
older lccu (``<username>.ed25519.pem``, PKCS#8) is found (:meth:`KeyStore.clear_keys`,
``lccu key check``) and refused for signing until its owner encrypts it (``lccu key
protect``); a file whose permissions allow others to read it is refused rather than used.
The argon2 cost is stored in each file; ``LCCU_KEY_KDF=test`` makes new files cheap to
derive, for test suites only.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lccu.errors import AccessDenied, InvalidInput, KeyStoreError
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


@functools.lru_cache(maxsize=4096)
def verify_signature(public_hex: str, signature_hex: str, message: bytes) -> bool:
    """Whether ``signature_hex`` is ``public_hex``'s Ed25519 signature of ``message``
    (pure, so remembered: a log verified again, or anchors beside their events, cost once)."""
    try:
        load_public_key(public_hex).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, KeyStoreError):
        return False
    return True


#: argon2id cost of new key files: ``standard`` (interactive unlock, ~64 MiB) and ``test``
#: (negligible; for test suites only, set with LCCU_KEY_KDF=test)
KDF_COSTS = {"standard": {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 1},
             "test": {"time_cost": 1, "memory_cost": 8, "parallelism": 1}}
ENCRYPTED_FORMAT = "lccu-key/1"
MIN_PASSPHRASE = 8


class KeyLocked(AccessDenied):
    """A signing key is encrypted and no passphrase, or a wrong one, was given."""


class ClearKey(KeyStoreError):
    """A signing key stored in clear by an older lccu: refused until its owner encrypts it."""


#: how scripts give a new user key's passphrase (said in the error when none is given)
NEW_KEY_VARIABLE = "LCCU_NEW_PASSPHRASE (its owner then unlocks it with LCCU_PASSPHRASE)"


def require_passphrase(owner: str, passphrase: str | None, variable: str) -> str:
    """``passphrase`` for a new key of ``owner`` (a user, or "the unit"), checked before
    anything is created: a missing one is an input error saying how to give it, because a
    key is never stored in clear."""
    if not passphrase:
        raise InvalidInput(
            f"no passphrase for the new signing key of {owner}: type it at the prompt (in a "
            f"terminal) or, in scripts, set {variable}; a signing key is never stored in "
            "clear")
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(f"a signing key passphrase needs at least {MIN_PASSPHRASE} "
                           "characters")
    return passphrase


def _derive(passphrase: str, salt: bytes, cost: dict[str, int]) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(passphrase.encode("utf-8"), salt, hash_len=32, type=Type.ID,
                           time_cost=cost["time_cost"], memory_cost=cost["memory_cost"],
                           parallelism=cost["parallelism"])


def encrypt_key(key: Ed25519PrivateKey, username: str, passphrase: str,
                kdf: str = "standard") -> dict[str, Any]:
    """The encrypted key file's content: argon2id(passphrase) -> AES-256-GCM."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(f"a signing key passphrase needs at least {MIN_PASSPHRASE} "
                           "characters")
    cost = KDF_COSTS[kdf]
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    public = public_key_hex(key.public_key())
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    sealed = AESGCM(_derive(passphrase, salt, cost)).encrypt(
        nonce, raw, f"{username}:{public}".encode())
    return {"format": ENCRYPTED_FORMAT, "username": username, "public_key": public,
            "kdf": {"name": "argon2id", **cost, "salt": salt.hex()}, "cipher": "aes-256-gcm",
            "nonce": nonce.hex(), "ciphertext": sealed.hex()}


def decrypt_key(record: dict[str, Any], passphrase: str) -> Ed25519PrivateKey:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        kdf = record["kdf"]
        cost = {k: int(kdf[k]) for k in ("time_cost", "memory_cost", "parallelism")}
        secret = _derive(passphrase, bytes.fromhex(kdf["salt"]), cost)
        raw = AESGCM(secret).decrypt(bytes.fromhex(record["nonce"]),
                                     bytes.fromhex(record["ciphertext"]),
                                     f"{record['username']}:{record['public_key']}".encode())
    except InvalidTag as exc:
        raise KeyLocked(f"the passphrase does not unlock {record.get('username')}'s signing "
                        "key", key="key_wrong_passphrase") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyStoreError(f"unreadable encrypted key file ({exc})") from exc
    return Ed25519PrivateKey.from_private_bytes(raw)


class KeyStore:
    """Private keys on disk, one file per user, readable by the lccu account only and
    encrypted with the user's passphrase. ``passphrase(username)`` gives the
    passphrase that unlocks a user's key (the CLI's prompt or ``LCCU_PASSPHRASE``); an
    unlocked key is kept for this store's lifetime (one command, one web session)."""

    def __init__(self, directory: Path,
                 passphrase: Callable[[str], str | None] | None = None,
                 kdf: str = "standard",
                 unit_passphrase: Callable[[], str | None] | None = None) -> None:
        self.directory = directory
        self.passphrase = passphrase
        self.kdf = kdf
        self.unit_passphrase = unit_passphrase
        self._unlocked: dict[str, Ed25519PrivateKey] = {}
        self._unit: Ed25519PrivateKey | None = None

    def _path(self, username: str) -> Path:
        return self.directory / f"{check_username(username)}.ed25519.pem"

    def _sealed_path(self, username: str) -> Path:
        return self.directory / f"{check_username(username)}.ed25519.key"

    def is_encrypted(self, username: str) -> bool:
        return self._sealed_path(username).exists()

    def _write_new(self, path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def _write_sealed(self, path: Path, record: dict[str, Any]) -> None:
        """Write an encrypted key file atomically (a crash leaves the old file or the new)."""
        tmp = path.with_name(path.name + ".new")
        tmp.unlink(missing_ok=True)
        self._write_new(tmp, json.dumps(record).encode())
        os.replace(tmp, path)

    def create(self, username: str, passphrase: str | None) -> str:
        """Create and store a new key for ``username``, encrypted with ``passphrase``
        (required: a key is never stored in clear); return its public key (hex)."""
        passphrase = require_passphrase(username, passphrase, NEW_KEY_VARIABLE)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        for existing in (self._path(username), self._sealed_path(username)):
            if existing.exists():
                raise KeyStoreError(
                    f"a signing key for {username!r} already exists at {existing}; "
                    "move it away only if that user is really being re-created"
                )
        key = Ed25519PrivateKey.generate()
        record = encrypt_key(key, username, passphrase, self.kdf)
        self._write_new(self._sealed_path(username), json.dumps(record).encode())
        self._unlocked.pop(username, None)  # a key held from before is not this one
        return public_key_hex(key.public_key())

    def clear_keys(self) -> list[Path]:
        """Every private key file in clear in this folder (left by an older lccu): current
        and retired user keys and the unit key. Each is refused for signing until protected
        (``lccu key protect``, ``lccu unit protect``)."""
        if not self.directory.is_dir():
            return []
        found = [*self.directory.glob("*.ed25519.pem"),
                 *self.directory.glob("*.ed25519.pem.*.retired")]
        if self.unit_path.exists():
            found.append(self.unit_path)
        return sorted(found)

    def protect(self, username: str, new_passphrase: str) -> int:
        """Encrypt ``username``'s key with ``new_passphrase``: a clear key left by an older
        lccu, or one already encrypted and unlocked with the current passphrase. Clear
        retired keys of the user are encrypted too; no clear file remains. Returns how many
        clear files were encrypted."""
        require_passphrase(username, new_passphrase, "LCCU_NEW_PASSPHRASE")
        clear = self._path(username)
        key = _read_clear(clear) if clear.exists() else self.load(username)
        self._write_sealed(self._sealed_path(username),
                           encrypt_key(key, username, new_passphrase, self.kdf))
        protected = int(clear.exists())
        clear.unlink(missing_ok=True)
        for old in sorted(self.directory.glob(f"{username}.ed25519.pem.*.retired")):
            suffix = old.name.removeprefix(f"{username}.ed25519.pem.")
            target = self.directory / f"{username}.ed25519.key.{suffix}"
            self._write_sealed(target, encrypt_key(_read_clear(old), username,
                                                   new_passphrase, self.kdf))
            old.unlink()
            protected += 1
        self._unlocked[username] = key
        return protected

    def load(self, username: str) -> Ed25519PrivateKey:
        """``username``'s private key, unlocked with its passphrase (asked once). A clear
        key from an older lccu is refused with how to protect it."""
        if username in self._unlocked:
            return self._unlocked[username]
        sealed = self._sealed_path(username)
        if not sealed.exists():
            if self._path(username).exists():
                raise ClearKey(
                    f"the signing key of {username} is stored in clear (made by an older "
                    f"lccu) and is not used: {username} encrypts it with `lccu --as "
                    f"{username} key protect` (new passphrase at the prompt, or "
                    "LCCU_NEW_PASSPHRASE)")
            raise KeyStoreError(
                f"no signing key for {username!r} in {self.directory}: this machine cannot "
                "sign custody events as that user (set LCCU_KEY_DIR or LCCU_HOME)")
        self._check_mode(sealed)
        given = self.passphrase(username) if self.passphrase is not None else None
        if not given:
            raise KeyLocked(f"the signing key of {username} is encrypted: give its "
                            "passphrase (LCCU_PASSPHRASE, or at the prompt in a terminal)",
                            key="key_locked", params={"user": username})
        key = self.unlock(username, given)
        self._unlocked[username] = key
        return key

    def unlock(self, username: str, passphrase: str) -> Ed25519PrivateKey:
        """Decrypt ``username``'s key file with ``passphrase`` (not kept: the caller holds
        the key for as long as its command or web session lasts)."""
        sealed = self._sealed_path(username)
        if not sealed.exists():
            return self.load(username)  # the same errors: no key, or a clear one
        self._check_mode(sealed)
        try:
            record = json.loads(sealed.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"{sealed}: unreadable key file ({exc})") from exc
        if not isinstance(record, dict):
            raise KeyStoreError(f"{sealed}: unreadable key file (not an object)")
        return decrypt_key(record, passphrase)

    def sign(self, username: str, message: bytes) -> str:
        return self.load(username).sign(message).hex()

    def held(self, username: str) -> Ed25519PrivateKey | None:
        """``username``'s key if unlocked in this store (to hand to work done on their
        behalf, such as embedded processing started from the web), else None."""
        return self._unlocked.get(username)

    def forget_unless(self, username: str, key_id: str) -> None:
        """Drop ``username``'s unlocked key unless it is ``key_id`` (the registered one): a
        key rotated since it was unlocked (a long web session) must not sign again."""
        held = self._unlocked.get(username)
        if held is not None and key_id_of(public_key_hex(held.public_key())) != key_id:
            del self._unlocked[username]

    def is_unlocked(self, username: str) -> bool:
        """Whether ``username``'s key is unlocked in this store (signing asks nothing)."""
        return username in self._unlocked

    def hold(self, username: str, key: Ed25519PrivateKey) -> None:
        """Use ``key`` (unlocked elsewhere, e.g. at web login) as ``username``'s key."""
        self._unlocked[username] = key

    def _check_mode(self, path: Path) -> None:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyStoreError(f"signing key {path} is readable by others (mode "
                                f"{stat.S_IMODE(mode):o}); run chmod 600 on it")

    def retire(self, username: str, key_id: str) -> None:
        """Move ``username``'s key file aside (a rotation): it is no longer used to sign."""
        for path in (self._path(username), self._sealed_path(username)):
            if path.exists():
                path.rename(path.with_name(f"{path.name}.{key_id[:16]}.retired"))
        self._unlocked.pop(username, None)

    # -- the unit key ---------------------------------------------------------------------

    @property
    def unit_path(self) -> Path:
        """The unit key's file (in clear): in its own folder, so no user name can collide."""
        return self.directory / "unit" / "unit.ed25519.pem"

    @property
    def unit_sealed_path(self) -> Path:
        """The unit key's file when encrypted with the unit passphrase."""
        return self.directory / "unit" / "unit.ed25519.key"

    def has_unit_key(self) -> bool:
        return self.unit_path.exists() or self.unit_sealed_path.exists()

    def create_unit(self, passphrase: str | None) -> str:
        """Create the unit signing key (once), encrypted with ``passphrase`` (required:
        LCCU_UNIT_PASSPHRASE, held by the unit's admins); return its public key."""
        passphrase = require_passphrase("the unit", passphrase, "LCCU_UNIT_PASSPHRASE")
        folder = self.unit_path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        os.chmod(folder, 0o700)
        key = Ed25519PrivateKey.generate()
        record = encrypt_key(key, "unit", passphrase, self.kdf)
        self._write_new(self.unit_sealed_path, json.dumps(record).encode())
        self._unit = key
        return public_key_hex(key.public_key())

    def load_unit(self) -> Ed25519PrivateKey:
        """The unit's private key, unlocked with the unit passphrase; a clear one from an
        older lccu is refused with how to protect it."""
        if self._unit is not None:
            return self._unit
        sealed = self.unit_sealed_path
        if not sealed.exists():
            if self.unit_path.exists():
                raise ClearKey(f"the unit key {self.unit_path} is stored in clear (made by "
                               "an older lccu) and is not used: a unit admin encrypts it "
                               "with `lccu unit protect` (new passphrase at the prompt, or "
                               "LCCU_UNIT_PASSPHRASE)")
            raise KeyStoreError(f"the unit key is not on this machine ({self.unit_path}): "
                                "certify keys where the unit's operators keep it")
        self._check_mode(sealed)
        given = self.unit_passphrase() if self.unit_passphrase is not None else None
        if not given:
            raise KeyLocked("the unit key is encrypted: give the unit passphrase "
                            "(LCCU_UNIT_PASSPHRASE, or at the prompt in a terminal)")
        key = decrypt_key(json.loads(sealed.read_text(encoding="utf-8")), given)
        self._unit = key
        return key

    def protect_unit(self, new_passphrase: str) -> None:
        """Encrypt the unit key with ``new_passphrase``: a clear one left by an older lccu,
        or the encrypted one unlocked with the current unit passphrase."""
        require_passphrase("the unit", new_passphrase, "LCCU_UNIT_PASSPHRASE")
        key = _read_clear(self.unit_path) if self.unit_path.exists() else self.load_unit()
        self._write_sealed(self.unit_sealed_path,
                           encrypt_key(key, "unit", new_passphrase, self.kdf))
        self.unit_path.unlink(missing_ok=True)
        self._unit = key

    def unit_public(self) -> str | None:
        """The unit's public key (hex), or None when this machine has no unit key (an
        encrypted unit key file names its public half in clear)."""
        if self.unit_sealed_path.exists():
            try:
                return str(json.loads(self.unit_sealed_path.read_text())["public_key"])
            except (OSError, ValueError, KeyError) as exc:
                raise KeyStoreError(f"{self.unit_sealed_path}: unreadable ({exc})") from exc
        if self.unit_path.exists():  # a clear one (older lccu): its public half is no secret
            return public_key_hex(_read_clear(self.unit_path).public_key())
        return None


def _read_clear(path: Path) -> Ed25519PrivateKey:
    """A clear PKCS#8 key file left by an older lccu (to encrypt it), if only its owner
    can read it."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyStoreError(f"signing key {path} is readable by others (mode "
                            f"{stat.S_IMODE(mode):o}); run chmod 600 on it")
    clear = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(clear, Ed25519PrivateKey):
        raise KeyStoreError(f"{path} is not an Ed25519 private key")
    return clear
