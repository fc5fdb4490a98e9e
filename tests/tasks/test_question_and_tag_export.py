"""The investigative question asked and the tags in what leaves lccu (issue 20): the case's
question is stated in the report for court (nl and en) and is the investigation's focus in
the CASE/UCO export; each tag there is an annotation on the tagged file, which carries the
hashes the run found and is contained in the exhibit. The export conforms (case-utils)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lccu.errors import AccessDenied, InvalidInput
from lccu.report.court import write_court_report
from lccu.storage import open_store
from lccu.tasks import drain, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit
from tests.tasks.test_cli import SQLITE_ONLY

QUESTION = "Bevat de laptop sporen van de verkoop van verdovende middelen via Telegram?"


@SQLITE_ONLY
def test_question_and_tags_in_the_report_and_the_case_export(
    unit: Unit, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """Set by `lccu case create --question` and changed by `lccu case question` (each
    wording a custody note); shown by `case show`; in the court report in both languages;
    the focus of the CASE/UCO investigation, whose annotations are the two tags, each on
    the file with the planted SHA-256; removed tags are left out; another zone may not
    change the question."""
    created = unit.cli(
        "case",
        "create",
        "--title",
        "Telegram",
        "--reference",
        "PV 7/2026",
        "--question",
        "Wat staat er op de laptop?",
        LCCU_USER="vlas_inv",
    )
    assert created.returncode == 0, created.stderr
    lab = unit.lab("vlas_inv")
    case = lab.get_case(created.stdout.strip())
    assert case.question == "Wat staat er op de laptop?"
    set_cli = unit.cli("case", "question", case.id, QUESTION, LCCU_USER="vlas_inv")
    assert set_cli.returncode == 0, set_cli.stderr
    shown = unit.cli("case", "show", case.id, LCCU_USER="vlas_inv")
    assert f"question: {QUESTION}" in shown.stdout
    notes = [
        e
        for e in lab.custody_log(case.id)
        if e["action"] == "note" and e["details"].get("event") == "question-set"
    ]
    assert [(n["details"]["question"], n["details"]["previous"]) for n in notes] == [
        (QUESTION, "Wat staat er op de laptop?")
    ]
    with pytest.raises(AccessDenied):
        unit.lab("polder_inv").set_question(case.id, "something else")
    with pytest.raises(InvalidInput):
        lab.set_question(case.id, "a\x00b")
    assert lab.get_case(case.id).question == QUESTION

    item = lab.add_evidence(
        case.id,
        planted_disk.image,
        description="laptop disk",
        exhibit_number="E1",
        seal_number="S-9",
    )
    submit(lab, item.id, rules=[unit.rules])
    drain(lab, open_store(lab.settings))
    planted = {f.path: f for f in planted_disk.files if f.path}
    lab.tag_file(item.id, "/notes.txt", label="relevant", note="names the buyer")
    lab.tag_file(item.id, "/dir/picture.png", label="to check", note="the package?")
    gone = lab.tag_file(item.id, "/docs/report.txt", label="privileged")
    lab.untag(gone.id, reason="mistake")

    out = lab.export_case_uco(case.id, tmp_path / "case.jsonld", recipient="parket")
    graph = json.loads(out.read_text())["@graph"]
    by_id = {n["@id"]: n for n in graph}
    assert len(by_id) == len(graph)
    investigation = next(n for n in graph if n["@type"] == "case-investigation:Investigation")
    assert investigation["case-investigation:focus"] == QUESTION
    annotations = [n for n in graph if n["@type"] == "uco-core:Annotation"]
    assert sorted((a["uco-core:tag"][0], a["uco-core:statement"]) for a in annotations) == [
        ("relevant", "names the buyer"),
        ("to check", "the package?"),
    ]
    for annotation in annotations:
        (target,) = annotation["uco-core:object"]
        tagged = by_id[target["@id"]]
        facets = {f["@type"]: f for f in tagged["uco-core:hasFacet"]}
        path = facets["uco-observable:FileFacet"]["uco-observable:filePath"]
        hashes = {
            h["uco-types:hashMethod"]: h["uco-types:hashValue"]["@value"]
            for h in facets["uco-observable:ContentDataFacet"]["uco-observable:hash"]
        }
        assert hashes["SHA256"] == planted[path].sha256 and hashes["MD5"] == planted[path].md5
        within = [
            n
            for n in graph
            if n["@type"] == "uco-observable:ObservableRelationship"
            and n["uco-core:source"] == [target]
        ]
        assert within[0]["uco-core:kindOfRelationship"] == "Contained_Within"
        assert by_id[within[0]["uco-core:target"]["@id"]]["uco-core:description"] == "laptop disk"
    paths = {
        f.get("uco-observable:filePath") for n in graph for f in n.get("uco-core:hasFacet", [])
    }
    assert "/docs/report.txt" not in paths  # the removed tag is not exported (its custody
    # notes are, as actions)
    validator = shutil.which("case_validate")
    assert validator, "case_validate (pip install case-utils) is needed for this test"
    result = subprocess.run([validator, str(out)], capture_output=True, text=True, timeout=300)
    assert "Conforms: True" in result.stdout, result.stdout[-3000:]

    for lang, label in (("nl", "Gestelde onderzoeksvraag"), ("en", "Question asked")):
        html = write_court_report(
            lab, case.id, tmp_path / f"court-{lang}.html", fmt="html", lang=lang
        ).read_text()
        assert label in html and QUESTION in html
