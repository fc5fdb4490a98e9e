"""Evidence is checked against the hashes in the signed intake event, not the mutable item
columns: an insider who swaps the stored bytes and updates the hash columns to match is
caught, and the disagreeing columns are reported as tampering."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from lccu.cli.main import cli
from lccu.evidence.lab import Lab
from lccu.testing.keys import KEY_ENV
from tests.evidence.conftest import tamper


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_swapped_object_and_hash_columns(make_lab: Callable[..., Lab], image_file: Path) -> None:
    lab = make_lab("vlas_inv")
    case = lab.create_case("Swap")
    item = lab.add_evidence(case.id, image_file, description="disk")
    assert lab.verify_evidence(item.id)["match"] is True
    with lab.db.engine.connect() as conn:
        keys = [
            row[0]
            for row in conn.execute(
                text("SELECT storage_key FROM evidence_containers WHERE evidence_id = :i"),
                {"i": item.id},
            )
        ] or [
            conn.execute(
                text("SELECT storage_key FROM evidence_items WHERE id = :i"), {"i": item.id}
            ).scalar_one()
        ]
    assert len(keys) == 1
    stored = lab.settings.evidence_dir / keys[0]
    assert stored.is_file()
    swapped = os.urandom(stored.stat().st_size)
    stored.chmod(stat.S_IRUSR | stat.S_IWUSR)  # the insider owns the files
    stored.write_bytes(swapped)
    new = {
        "md5": hashlib.md5(swapped).hexdigest(),
        "sha1": hashlib.sha1(swapped).hexdigest(),
        "sha256": hashlib.sha256(swapped).hexdigest(),
    }
    tamper(
        lab,
        "UPDATE evidence_items SET md5 = :md5, sha1 = :sha1, sha256 = :sha256 WHERE id = :i",
        i=item.id,
        **new,
    )
    tamper(
        lab,
        "UPDATE evidence_containers SET md5 = :md5, sha1 = :sha1, sha256 = :sha256 "
        "WHERE evidence_id = :i",
        i=item.id,
        **new,
    )
    outcome = lab.verify_evidence(item.id)
    assert outcome["match"] is False
    assert outcome["mismatched"] == ["md5", "sha1", "sha256"]
    assert any(
        "evidence_items.sha256" in t and "changed in the database" in t
        for t in outcome["tampering"]
    ), outcome["tampering"]
    # what processing's hash stage compares with: the signed hashes, the columns flagged
    signed = lab.signed_intake_hashes(item.id)
    assert signed["hashes"]["sha256"] == hashlib.sha256(image_file.read_bytes()).hexdigest()
    assert any("changed in the database" in t for t in signed["tampering"])
    env = {
        "LCCU_HOME": str(lab.settings.home),
        "LCCU_DATABASE_URL": lab.settings.database_url,
        "LCCU_USER": "vlas_inv",
        **KEY_ENV,
    }
    result = CliRunner().invoke(cli, ["evidence", "verify", item.id], env=env)
    assert result.exit_code == 1, result.output
    assert "DOES NOT MATCH" in result.output and "TAMPERING" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_court_report_shows_the_signed_hashes_and_the_tampering(
    make_lab: Callable[..., Lab], image_file: Path
) -> None:
    """The court report names the media hashes of the signed intake event; hash columns
    changed in the database do not reach it, and the disagreement is printed as tampering."""
    from lccu.report.court import court_report_data, render_court_html

    lab = make_lab("vlas_inv")
    case = lab.create_case("Court")
    item = lab.add_evidence(case.id, image_file, description="disk")
    original = hashlib.sha256(image_file.read_bytes()).hexdigest()
    forged = hashlib.sha256(b"other bytes").hexdigest()
    tamper(lab, "UPDATE evidence_items SET sha256 = :h WHERE id = :i", h=forged, i=item.id)
    for lang, word in (("en", "Tampering"), ("nl", "Manipulatie")):
        html = render_court_html(court_report_data(lab, case.id), lang)
        assert original in html, lang
        assert f"{word}: evidence_items.sha256 is {forged}" in html, lang
        assert html.count(forged) == 1, lang  # only inside the tampering finding
