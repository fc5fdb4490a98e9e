"""An intake that fails after some of its files were committed (issue 12): a committed
object under object lock cannot be taken back, so it is never hidden. The error names it,
the audit log has the refused intake listing it, and the case's chain of custody a `note`
event with its key, version and hashes; the rest of the files were never committed."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from lccu.config import Settings
from lccu.errors import InvalidInput, StorageError
from lccu.evidence.intake import PendingIntake
from lccu.evidence.lab import Lab
from lccu.storage import open_store
from lccu.testing.formats import BuiltContainers
from lccu.testing.keys import KEY_ENV

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def lab_settings(request: pytest.FixtureRequest, tmp_path: Path,
                 database_url: str) -> Settings:
    """The unit embedded (local evidence store) or on the test S3 server."""
    if request.param == "s3":
        s3: Settings = request.getfixturevalue("s3_settings")
        return dataclasses.replace(s3, database_url=database_url)
    from lccu.config import load_settings

    return load_settings({"LCCU_HOME": str(tmp_path / "home"),
                          "LCCU_DATABASE_URL": database_url, **KEY_ENV})


def stored(settings: Settings) -> list[str]:
    """Every evidence object (S3: every version, anchors aside; local: every file)."""
    if not settings.s3_endpoint:
        root = Path(settings.evidence_dir)
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    client = open_store(settings).client  # type: ignore[attr-defined]
    return sorted(f"{o.object_name}@{o.version_id}" for o in client.list_objects(
        settings.s3_bucket, include_version=True, recursive=True)
        if not o.object_name.startswith("anchors/"))


def test_used_exhibit_number_is_refused_before_storing(
        make_lab: Callable[..., Lab], media_containers: BuiltContainers,
        lab_settings: Settings) -> None:
    """An exhibit number already used in the case is refused before a byte is stored
    (after the commit it would leave locked objects that no item records)."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Exhibit numbers")
    lab.add_evidence(case.id, media_containers.formats["raw"][0], description="first",
                     exhibit_number="EXH-007")
    before = stored(lab_settings)
    with pytest.raises(InvalidInput, match="EXH-007 is already used"):
        lab.add_evidence(case.id, media_containers.formats["ewf"][0], description="second",
                         exhibit_number="EXH-007")
    assert stored(lab_settings) == before


def test_item_that_cannot_be_recorded_names_its_committed_files(
        make_lab: Callable[..., Lab], media_containers: BuiltContainers,
        lab_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another examiner's intake takes the exhibit number between our last check and our
    record (a real second intake, at the moment of our commit): our E01's segments are
    committed but the item cannot be recorded. The error, the audit log and a custody
    `note` name every segment retained with its version and hashlib's SHA-256."""
    lab, other = make_lab("vlas_inv"), make_lab("vlas_inv")
    case = lab.create_case("Race for an exhibit number")
    e01 = media_containers.formats["ewf"]
    original = PendingIntake.recheck
    raced: list[str] = []

    def recheck_while_another_intake_lands(self: PendingIntake) -> None:
        original(self)
        if self.facts.description == "laptop":  # ours, not the other intake's own check
            raced.append(other.add_evidence(
                case.id, media_containers.formats["raw"][0], description="the other one",
                exhibit_number="EXH-042").id)

    monkeypatch.setattr(PendingIntake, "recheck", recheck_while_another_intake_lands)
    with pytest.raises(StorageError) as refused:
        lab.add_evidence(case.id, e01[0], description="laptop", exhibit_number="EXH-042")
    assert [i.id for i in lab.list_evidence(case.id)] == raced
    note = lab.custody_log(case.id)[-1]
    assert note["action"] == "note" and note["evidence_id"] is None
    retained = note["details"]["retained_objects"]
    assert [(o["name"], o["sha256"]) for o in retained] == [
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in e01]
    message = str(refused.value)
    assert all(o["key"] in message for o in retained) and "custody" in message
    ours = [k for k in stored(lab_settings) if any(p.name in k for p in e01)]
    assert len(ours) == len(e01)  # committed and kept: named, not hidden
    if lab_settings.s3_endpoint:
        assert [o["storage_version_id"] for o in retained] == [k.split("@")[1] for k in ours]
    audit = [e for e in make_lab("dpo").audit_log()
             if e.operation == "evidence.add" and not e.allowed]
    assert audit and all(o["key"] in str(audit[-1].detail) for o in retained)
