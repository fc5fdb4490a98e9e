"""A rule file whose hits differ on YARA-X in some rules only is cut: those rules run on
libyara, the rest of the file on YARA-X, and the hits are still libyara's.

The oracle is yara-python (libyara) compiled here with the whole file; the engines are known
to part on ``xor`` + ``fullword`` between delimiters that are letters once XORed (documented
by VirusTotal, and checked below).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import yara
import yara_x

from lccu.scan import load_rules, scan_file, scan_stream
from lccu.scan.rules import EXTERNALS
from lccu.scan.split import parse_rules

KiB = 1024
XOR_WORD = 'rule xor_word { strings: $a = "mississippi" xor(1) fullword condition: $a }\n'
MIXED = (
    '// a comment with a "quote" and a { brace\n'
    'import "pe"\n'
    + XOR_WORD
    + 'private rule marker_seen { strings: $m = "zone-marker-{4711}" condition: $m }\n'
    "rule marker_and_regex {\n"
    "  strings: $r = /token\\{[0-9]+\\}/\n"
    "  condition: marker_seen and $r\n"
    "}\n"
    'rule plain_word { strings: $p = "mississippi" condition: $p and filesize \\ 2 > 1 }\n'
)


def _data() -> bytes:
    """Every rule of MIXED matches once; xor_word only on libyara."""
    return (
        b"..{"
        + bytes(c ^ 1 for c in b"mississippi")
        + b"}.. mississippi .. zone-marker-{4711} .. token{42} .."
    )


def _libyara(text: str, target: Path) -> set[tuple[str, str, str, int, int]]:
    """(namespace, rule, string, offset, length) that libyara gives for the whole file."""
    oracle = yara.compile(sources={"mixed": text}, externals=EXTERNALS)
    return {
        (m.namespace, m.rule, s.identifier, x.offset, x.matched_length)
        for m in oracle.match(str(target), externals=EXTERNALS)
        for s in m.strings
        for x in s.instances
    }


def test_one_differing_rule_runs_on_libyara_and_the_rest_on_yarax(
    tmp_path: Path, cache_dir: Path
) -> None:
    """A file with one rule whose YARA-X hits differ runs that rule on libyara and its other
    rules on YARA-X (the report names both engines and the rule); per-file and whole-image
    hits (rule names and namespace as the file gives them, offsets, lengths) equal those of
    libyara with the whole file."""
    rule = tmp_path / "mixed.yar"
    rule.write_text(MIXED)
    target = tmp_path / "data.bin"
    target.write_bytes(_data())
    want = _libyara(MIXED, target)
    assert {h[1] for h in want} == {"xor_word", "marker_and_regex", "plain_word"}
    forced = yara_x.compile(XOR_WORD).scan(_data()).matching_rules
    assert not forced  # the engines part on this rule: YARA-X finds nothing here

    rules = load_rules([rule], bundled=False, cache_dir=cache_dir)
    [entry] = rules.files()
    assert entry["engine"] == "yara-x" and entry["differing_rules"] == ["xor_word"]
    assert entry["split"] == {
        "engine": "libyara",
        "engine_version": yara.YARA_VERSION,
        "rules": ["xor_word"],
    }
    assert rules.engine_of_rule("mixed", "xor_word") == "libyara"
    assert {rules.engine_of_rule("mixed", r) for r in ("marker_and_regex", "plain_word")} == {
        "yara-x"
    }
    assert rules.libyara is not None and [r.identifier for r in rules.libyara] == ["xor_word"]

    hits = scan_file(target, rules, name="")
    assert {(h.namespace, h.rule, h.string, h.offset, h.length) for h in hits if h.string} == want

    # a whole-image scan in segments, YARA-X in a scanner process beside libyara
    image = bytearray(512 * KiB)
    for at in (1000, 200 * KiB, 400 * KiB):
        image[at : at + len(_data())] = _data()
    image_path = tmp_path / "image.raw"
    image_path.write_bytes(bytes(image))
    want_image = _libyara(MIXED, image_path)
    found = scan_stream(
        io.BytesIO(bytes(image)), len(image), rules, segment_size=128 * KiB, workers=2
    )
    assert {(h.namespace, h.rule, h.string, h.offset, h.length) for h in found} == want_image
    assert len(want_image) == 9


def test_rules_that_refer_to_a_differing_rule_go_with_it(tmp_path: Path, cache_dir: Path) -> None:
    """A rule whose condition names the differing rule, directly or through another rule,
    runs on libyara with it; a file with a global rule is not cut."""
    linked = tmp_path / "linked.yar"
    linked.write_text(
        XOR_WORD
        + "rule uses_xor { condition: xor_word }\n"
        + "rule uses_uses { condition: uses_xor and filesize > 0 }\n"
        + 'rule alone { strings: $p = "mississippi" condition: $p }\n'
    )
    gated = tmp_path / "gated.yar"
    gated.write_text(
        "global rule small { condition: filesize < 1MB }\n"
        + XOR_WORD
        + 'rule alone2 { strings: $p = "mississippi" condition: $p }\n'
    )
    rules = load_rules([linked, gated], bundled=False, cache_dir=cache_dir)
    files = {f["namespace"]: f for f in rules.files()}
    assert files["linked"]["engine"] == "yara-x"
    assert files["linked"]["split"]["rules"] == ["xor_word", "uses_xor", "uses_uses"]
    assert files["gated"]["engine"] == "libyara" and files["gated"]["split"] is None
    target = tmp_path / "data.bin"
    target.write_bytes(_data())
    got = {(h.namespace, h.rule) for h in scan_file(target, rules, name="")}
    assert ("linked", "uses_xor") in got and ("linked", "uses_uses") in got
    assert ("linked", "alone") in got and ("gated", "xor_word") in got


def test_reading_a_rule_file_into_groups() -> None:
    """Braces, quotes, slashes and rule names inside strings, regexes and comments are not
    code; rules group by the rules their conditions name (also by a rule set such as
    ``any of (marker_*)``); a file
    with a global rule or an include cannot be cut."""
    parsed = parse_rules(MIXED)
    assert parsed is not None
    assert parsed.names == ("xor_word", "marker_seen", "marker_and_regex", "plain_word")
    assert sorted(sorted(g) for g in parsed.groups()) == [
        ["marker_and_regex", "marker_seen"],
        ["plain_word"],
        ["xor_word"],
    ]
    part = parsed.part(["plain_word"])
    assert part.startswith("// a comment") and 'import "pe"' in part
    assert "rule plain_word" in part and "xor_word" not in part
    yara.compile(source=part)  # a part compiles alone
    assert parse_rules("global rule g { condition: true }\nrule r { condition: true }\n") is None
    assert parse_rules('include "other.yar"\nrule r { condition: true }\n') is None
    commented = 'rule a { strings: $s = "rule b { condition: a }" condition: $s } // rule c\n'
    again = parse_rules(commented + "rule b { condition: true }\n")
    assert again is not None and again.names == ("a", "b")
    assert sorted(sorted(g) for g in again.groups()) == [["a"], ["b"]]
    sets = parse_rules(MIXED + "rule any_marker { condition: any of (marker_*) }\n")
    assert sets is not None
    assert sets.closure(["any_marker"]) == {"any_marker", "marker_seen", "marker_and_regex"}


def test_probe_is_the_same_in_every_process() -> None:
    """The generated data that decides the engines is the same whatever a process's string
    hashing (a negated character class was drawn from a set's order before): equal rule
    files get equal engines on every worker."""
    import subprocess
    import sys

    rule = "rule neg { strings: $r = /eval[^a-z0-9]{2,8}\\(/ wide nocase condition: $r }\n"
    script = (
        "import hashlib, sys; from lccu.scan.probe import build_probe; "
        "print(hashlib.sha256(build_probe(sys.argv[1], 'seed')).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script, rule],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(digests) == 1, digests
