"""A run's case password list sealed in the derived store (local and S3): only ciphertext
is stored, it opens with the unit's archive secret only, and deleting it leaves no version."""

from __future__ import annotations

import dataclasses
import io

import pytest

from lccu.archive.sealed import REF, drop_passwords, open_passwords, seal_passwords
from lccu.config import Settings
from lccu.errors import InvalidInput, NotFound
from lccu.storage.base import EvidenceStore

PASSWORDS = ("hunter2-case", "ZwarteKat!9")


def test_seal_open_drop(store: EvidenceStore, store_settings: Settings) -> None:
    options = seal_passwords(store, store_settings, "ev1", PASSWORDS)
    with store.open_derived(options[REF]) as fh:
        sealed = fh.read()
    assert not any(p.encode() in sealed for p in PASSWORDS)
    assert not any(p in str(options) for p in PASSWORDS)
    assert open_passwords(store, store_settings, options) == PASSWORDS
    other = dataclasses.replace(store_settings, archive_secret="ab" * 32)
    with pytest.raises(InvalidInput, match="LCCU_ARCHIVE_SECRET"):
        open_passwords(store, other, options)
    store.put_derived(options[REF], io.BytesIO(sealed))  # a second version on S3
    drop_passwords(store, options)
    with pytest.raises(NotFound):
        store.open_derived(options[REF])
    with pytest.raises(InvalidInput, match="gone"):
        open_passwords(store, store_settings, options)
    client = getattr(store, "client", None)
    if client is not None:  # S3: no version or delete marker of it is left
        bucket = store.derived_bucket  # type: ignore[attr-defined]
        left = client.list_objects(bucket, prefix="derived/ev1/", recursive=True,
                                   include_version=True)
        assert [o.object_name for o in left] == []
    drop_passwords(store, options)  # already gone: nothing to do
