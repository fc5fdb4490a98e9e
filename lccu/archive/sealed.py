"""A run's case password list, sealed in the derived store instead of the run's options.

In server mode the run's options live in the database, readable by anyone with database
access and shown in places (``lccu status --json``, the web). So ``submit`` stores the list
only as one AES-256-GCM object in the derived store, keyed by the unit's archive secret
(``LCCU_ARCHIVE_SECRET``, else a random key kept in LCCU_HOME/archive/secret); the run's
options keep its reference and a keyed digest (an unkeyed SHA-256 of a short list could be
reversed with a word list). The archives stage opens it, and it is deleted when that stage
ends.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import secrets
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lccu.errors import InvalidInput, NotFound

NONCE = 12
#: the run-option names: the object's key below derived/, and the list's keyed digest
REF, DIGEST = "passwords_ref", "passwords_digest"


def archive_key(settings: Any) -> bytes:
    """The unit's 32-byte archive secret: the setting, else the file in LCCU_HOME."""
    if settings.archive_secret:
        return bytes.fromhex(settings.archive_secret)
    path = Path(settings.home) / "archive" / "secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def list_digest(key: bytes, passwords: Sequence[str]) -> str:
    """HMAC-SHA256 of the sorted list: equal lists give equal stage cache keys."""
    body = json.dumps(sorted(passwords), ensure_ascii=False).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def seal_passwords(
    store: Any, settings: Any, evidence_id: str, passwords: Sequence[str]
) -> dict[str, str]:
    """Store the list encrypted; returns the run options that stand for it."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = archive_key(settings)
    ref = f"{evidence_id}/case-passwords/{uuid.uuid4().hex}.sealed"
    nonce = secrets.token_bytes(NONCE)
    body = json.dumps(list(passwords), ensure_ascii=False).encode()
    sealed = nonce + AESGCM(key).encrypt(nonce, body, ref.encode())
    store.put_derived(ref, io.BytesIO(sealed))
    return {REF: ref, DIGEST: list_digest(key, passwords)}


def open_passwords(store: Any, settings: Any, options: dict[str, Any]) -> tuple[str, ...]:
    """The run's list (empty when none was given); a clear error when it cannot be read."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ref = options.get(REF)
    if not ref:
        return ()
    try:
        with store.open_derived(ref) as fh:
            sealed = fh.read()
    except NotFound as exc:
        raise InvalidInput(
            "the run's sealed case password list is gone (the run ended?); "
            "submit the run again with --passwords"
        ) from exc
    try:
        body = AESGCM(archive_key(settings)).decrypt(
            sealed[:NONCE], sealed[NONCE:], str(ref).encode()
        )
    except InvalidTag as exc:
        raise InvalidInput(
            "the run's case password list does not open with this worker's "
            "archive secret; give every worker the same LCCU_ARCHIVE_SECRET "
            "(or LCCU_HOME/archive/secret)"
        ) from exc
    return tuple(json.loads(body))


def drop_passwords(store: Any, options: dict[str, Any]) -> None:
    """Delete the run's sealed list (nothing when there is none or it is already gone)."""
    ref = options.get(REF)
    if ref:
        store.delete_derived(ref)
