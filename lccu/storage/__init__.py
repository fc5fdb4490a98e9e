"""Evidence stores: write-once evidence, replaceable derived data.

:func:`open_store` picks S3 when ``settings.s3_endpoint`` is set, else the local directory
``settings.evidence_dir`` (the embedded default).
"""

from __future__ import annotations

from lccu.config import Settings
from lccu.storage.base import EvidenceInfo, EvidenceRef, EvidenceStore, StoredEvidence

__all__ = ["EvidenceInfo", "EvidenceRef", "EvidenceStore", "StoredEvidence", "open_store"]


def open_store(settings: Settings) -> EvidenceStore:
    """The configured evidence store, checked and ready (buckets created with object lock)."""
    if settings.s3_endpoint:
        from lccu.storage.s3 import S3Store

        return S3Store(settings)
    from lccu.storage.local import LocalStore

    return LocalStore(settings.evidence_dir)
