"""A processing run with a rule file YARA-X refuses (it runs on libyara) and one cut per rule
(one rule on libyara, the other on YARA-X): the run's report and every YARA stage's
`processed` custody event name each rule file's engine, and which rules ran where."""

from __future__ import annotations

import random
from importlib.metadata import version
from pathlib import Path

import pytest
import yara
import yara_x

from lccu.storage import open_store
from lccu.tasks import drain, run_status, submit
from tests.tasks.conftest import Unit
from tests.tasks.helpers import load_report, processed_events

#: an unescaped '{' in a regex: libyara reads it as a literal, YARA-X refuses the file
LEGACY_RULE = "rule zone_brace { strings: $a = /token{/ condition: $a }\n"
#: xor + fullword between delimiters that are letters once XORed: libyara matches, YARA-X not
CUT_RULES = (
    'rule xor_word { strings: $a = "mississippi" xor(1) fullword condition: $a }\n'
    'rule plain_word { strings: $p = "mississippi" condition: $p }\n'
)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_with_rule_yarax_refuses_names_engines_in_report_and_custody(
    unit: Unit, tmp_path: Path
) -> None:
    """The refused file's hit is found (on libyara), the JPEG rule stays on YARA-X, the cut
    file's two rules both hit (one on each engine), and the report's ``yara_rules`` and the
    ``processed`` events of the YARA stages give each rule file's engine and version, with
    why the legacy file is not on YARA-X and which rule of the cut file ran on libyara."""
    with pytest.raises(yara_x.CompileError):
        yara_x.compile(LEGACY_RULE)
    legacy = tmp_path / "zone_legacy.yar"
    legacy.write_text(LEGACY_RULE)
    data = bytearray(random.Random(7).randbytes(512 * 1024))
    at = 300_001
    data[at : at + 6] = b"token{"
    cut = tmp_path / "zone_cut.yar"
    cut.write_text(CUT_RULES)
    xored = b"{" + bytes(c ^ 1 for c in b"mississippi") + b"}"
    data[400_003 : 400_003 + len(xored)] = xored
    data[450_005 : 450_005 + 13] = b" mississippi "
    image = tmp_path / "legacy.raw"
    image.write_bytes(bytes(data))
    evidence = unit.add_image("vlas_inv", image, "E9")
    lab = unit.lab("vlas_inv")
    run = submit(lab, evidence, rules=[unit.rules, legacy, cut], carve="none")
    drain(lab, open_store(lab.settings))
    status = run_status(lab, run.run_id)
    assert status["state"] == "done", status
    report = load_report(lab, status["report"])
    files = {f["namespace"]: f for f in report["yara_rules"]["files"]}
    assert files["zone_legacy"]["engine"] == "libyara"
    assert files["zone_legacy"]["engine_version"] == yara.YARA_VERSION
    assert "YARA-X refused" in files["zone_legacy"]["reason"]
    assert files["jpeg"]["engine"] == "yara-x"
    assert files["jpeg"]["engine_version"] == version("yara-x")
    assert [
        (h["rule"], h["offset"]) for h in report["yara"] if h["namespace"] == "zone_legacy"
    ] == [("zone_brace", bytes(data).find(b"token{"))]
    assert files["zone_cut"]["engine"] == "yara-x"
    assert files["zone_cut"]["split"] == {
        "engine": "libyara",
        "engine_version": yara.YARA_VERSION,
        "rules": ["xor_word"],
    }
    assert sorted(
        (h["rule"], h["offset"]) for h in report["yara"] if h["namespace"] == "zone_cut"
    ) == [("plain_word", 450_006), ("xor_word", 400_004)]
    engines = [
        {k: f[k] for k in ("namespace", "sha256", "engine", "engine_version", "reason", "split")}
        for f in report["yara_rules"]["files"]
    ]
    yara_events = [
        e
        for e in processed_events(lab, evidence)
        if e["details"]["stage"] in ("yara", "yara-files")
    ]
    assert yara_events
    for event in yara_events:
        assert event["details"]["rule_engines"] == engines
        assert {"libyara", "yara-x"} <= set(event["details"]["versions"])
