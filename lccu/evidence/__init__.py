"""Cases, evidence items, users and zones, the signed custody chain, access control and audit."""

from __future__ import annotations

from lccu.evidence.chain import VerifyResult
from lccu.evidence.export import verify_export
from lccu.evidence.intake import ItemFacts, StreamingIntake
from lccu.evidence.lab import Lab, open_lab
from lccu.evidence.records import CaseInfo, EvidenceInfo, UserInfo

__all__ = ["CaseInfo", "EvidenceInfo", "ItemFacts", "Lab", "StreamingIntake", "UserInfo",
           "VerifyResult", "open_lab", "verify_export"]
