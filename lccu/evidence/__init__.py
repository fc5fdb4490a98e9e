"""Cases, evidence items, users and zones, the signed custody chain, access control and audit.

The names below are imported on first use, so that ``import lccu.evidence.terms`` (the
command line's choices) does not load SQLAlchemy and the signing code.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lccu.evidence.chain import VerifyResult
    from lccu.evidence.export import verify_export
    from lccu.evidence.file_index import FileInfo
    from lccu.evidence.intake import ItemFacts, StreamingIntake
    from lccu.evidence.lab import Lab, open_lab
    from lccu.evidence.lab_files import FileFilter, FilePage
    from lccu.evidence.records import CaseInfo, EvidenceInfo, UserInfo

_WHERE = {
    "VerifyResult": "chain", "verify_export": "export", "ItemFacts": "intake",
    "StreamingIntake": "intake", "Lab": "lab", "open_lab": "lab", "CaseInfo": "records",
    "EvidenceInfo": "records", "UserInfo": "records", "FileInfo": "file_index",
    "FileFilter": "lab_files", "FilePage": "lab_files",
}
__all__ = ["CaseInfo", "EvidenceInfo", "FileFilter", "FileInfo", "FilePage", "ItemFacts", "Lab",
           "StreamingIntake", "UserInfo", "VerifyResult", "open_lab", "verify_export"]


def __getattr__(name: str) -> object:
    if name in _WHERE:
        return getattr(import_module(f"lccu.evidence.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'lccu.evidence' has no attribute {name!r}")
