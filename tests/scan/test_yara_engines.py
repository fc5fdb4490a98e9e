"""YARA-X where it gives libyara's hits, libyara where not: the differential tests.

The oracles are libyara itself (yara-python compiled here, not through lccu), the Debian
``yara`` command line and the VirusTotal test files' published answers (EXPECTED.json).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yara
import yara_x

from lccu.scan import load_rules, scan_file
from lccu.scan.rules import EXTERNALS
from lccu.testing.corpus import corpus_file
from lccu.testing.planted_rules import planted, text_strings

VT = ("yara-tests", "virustotal-yara")
CliScan = Callable[..., tuple[set, set]]  # type: ignore[type-arg]
Instance = tuple[str, str, str, int, int]
#: signature-base files in the suite's sample (every n-th file, sorted by name); the whole
#: set is compared by bench/yara_differential.py (docs/benchmarks.md)
SIGBASE_STEP = 12
#: signature-base files whose YARA-X hits differ from libyara's in some of their rules
#: (yara-x 1.23.0, docs/benchmarks.md): the per-rule cut is checked on each
SPLIT_CANDIDATES = (
    "apt_barracuda_esg_unc4841_jun23",
    "apt_hafnium_log_sigs",
    "apt_tetris",
    "expl_cleo_dec24",
    "expl_outlook_cve_2023_23397",
    "expl_proxyshell",
    "expl_wsus_cve_2025_59287",
    "gen_shikataganai",
    "gen_webshells",
    "react_pocs_indicators_dec25",
    "susp_claude_magic_strings",
    "vuln_paloalto_cve_2024_3400_apr24",
)


def _expected() -> dict[str, dict[str, object]]:
    return json.loads(corpus_file(*VT, "EXPECTED.json").read_text())


def _yarax(files: dict[str, Path]) -> yara_x.Scanner:
    """A YARA-X scanner of ``{namespace: rule file}`` (compiled here, not by lccu)."""
    compiler = yara_x.Compiler()
    for name, value in EXTERNALS.items():
        compiler.define_global(name, value)
    for namespace, path in files.items():
        compiler.new_namespace(namespace)
        compiler.add_source(path.read_text())
    return yara_x.Scanner(compiler.build())


def _yarax_instances(
    path: Path, namespace: str, target: Path, scanner: yara_x.Scanner | None = None
) -> tuple[set[str], set[Instance]]:
    """Rules and string instances YARA-X alone reports."""
    scanner = scanner or _yarax({namespace: path})
    results = scanner.scan(target.read_bytes())
    rules = {r.identifier for r in results.matching_rules}
    found = {
        (r.namespace, r.identifier, p.identifier, m.offset, m.length)
        for r in results.matching_rules
        for p in r.patterns
        for m in p.matches
    }
    return rules, found


@pytest.mark.parametrize("rule_file", sorted(_expected()))
def test_virustotal_files_yarax_equals_cli_where_lccu_chose_it(
    rule_file: str, cache_dir: Path, yara_cli: CliScan
) -> None:
    """On each VirusTotal test file, a rule file lccu gives wholly to YARA-X has exactly the
    yara CLI's hits and EXPECTED.json's rules; each rule whose YARA-X hits differ is on
    libyara."""
    entry = _expected()[rule_file]
    rules_path = corpus_file(*VT, "rules", rule_file)
    target = corpus_file(*VT, str(entry["target"]))
    ns = rules_path.stem
    cli_rules, cli_strings = yara_cli([(ns, rules_path)], target)
    assert {r for _ns, r in cli_rules} == set(entry["expected_matching_rules"])  # type: ignore[arg-type]
    x_rules, x_strings = _yarax_instances(rules_path, ns, target)
    rules = load_rules([rules_path], bundled=False, cache_dir=cache_dir)
    differ = (x_rules ^ {r for _ns, r in cli_rules}) | {h[1] for h in x_strings ^ cli_strings}
    if not differ:
        assert rules.engine_of(ns) == "yara-x", rules.files()
    for rule in differ:  # per rule: a file may be cut, the differing rules on libyara
        assert rules.engine_of_rule(ns, rule) == "libyara", (rule, rules.files())


def test_signature_base_sample_hits_equal_libyara(tmp_path: Path, cache_dir: Path) -> None:
    """On data planted with each sampled signature-base file's text strings, lccu's hits (of
    every sampled file) equal libyara's; every file whose YARA-X hits differ from libyara's
    on any of these data is on libyara."""
    base = corpus_file("yara-signature-base")
    sample = sorted(base.glob("*.yar"))[::SIGBASE_STEP]
    folder = tmp_path / "sigbase"
    folder.mkdir()
    for p in sample:
        (folder / p.name).write_bytes(p.read_bytes())
    rules = load_rules([folder], bundled=False, cache_dir=cache_dir)
    oracle = yara.compile(
        filepaths={f"sigbase.{p.stem}": str(p) for p in sample}, externals=EXTERNALS
    )
    forced = _yarax({f"sigbase.{p.stem}": p for p in sample})
    differing: dict[str, set[str]] = {}
    for i, p in enumerate(sample):
        data = tmp_path / f"{p.stem}.bin"
        data.write_bytes(planted(text_strings(p.read_text()), i))
        want = {
            (m.namespace, m.rule, s.identifier, inst.offset, inst.matched_length)
            for m in oracle.match(str(data), externals=EXTERNALS)
            for s in m.strings
            for inst in s.instances
        }
        got = {
            (h.namespace, h.rule, h.string, h.offset, h.length)
            for h in scan_file(data, rules, name="")
            if h.string
        }
        assert got == want, p.name
        _x_rules, x_hits = _yarax_instances(p, "", data, forced)
        for hit in x_hits ^ want:
            differing.setdefault(hit[0], set()).add(hit[1])
    print("signature-base sample, rules whose YARA-X hits differ from libyara's:", differing)
    for namespace, rule_names in differing.items():
        for rule in rule_names:
            assert rules.engine_of_rule(namespace, rule) == "libyara", (namespace, rule)
    assert sum(f["engine"] == "yara-x" for f in rules.files()) > len(sample) // 2


def test_signature_base_files_cut_per_rule_give_libyara_hits(
    tmp_path: Path, cache_dir: Path
) -> None:
    """The signature-base files whose YARA-X hits differ in some rules (SPLIT_CANDIDATES, as
    of yara-x 1.23) are cut per rule: on data planted with each file's strings and on its
    probe, lccu's hits (namespace, rule, string, offset, length) equal those of libyara with
    the whole file, every rule whose forced YARA-X hits differ there runs on libyara, and
    most of the files keep the rest of their rules on YARA-X."""
    from lccu.scan.probe import build_probe

    base = corpus_file("yara-signature-base")
    folder = tmp_path / "sigbase"
    folder.mkdir()
    files = [base / f"{name}.yar" for name in SPLIT_CANDIDATES]
    for p in files:
        (folder / p.name).write_bytes(p.read_bytes())
    rules = load_rules([folder], bundled=False, cache_dir=cache_dir)
    entries = {f["namespace"]: f for f in rules.files()}
    for i, p in enumerate(files):
        ns = f"sigbase.{p.stem}"
        oracle = yara.compile(sources={ns: p.read_text()}, externals=EXTERNALS)
        forced = _yarax({ns: p})
        split = entries[ns]["split"]
        data = tmp_path / f"{p.stem}.bin"
        probe = build_probe(p.read_text(), entries[ns]["sha256"])
        for blob in (planted(text_strings(p.read_text()), i), probe):
            data.write_bytes(blob)
            try:
                matches = oracle.match(str(data), externals=EXTERNALS)
            except yara.Error:  # libyara gives up on this data (too many regex fibers)
                continue
            want = {
                (m.namespace, m.rule, s.identifier, inst.offset, inst.matched_length)
                for m in matches
                for s in m.strings
                for inst in s.instances
            }
            got = {
                (h.namespace, h.rule, h.string, h.offset, h.length)
                for h in scan_file(data, rules, name="")
                if h.string
            }
            assert got == want, (p.name, sorted(got ^ want)[:5])
            _x_rules, x_hits = _yarax_instances(p, ns, data, forced)
            for hit in x_hits ^ want:
                assert rules.engine_of_rule(ns, hit[1]) == "libyara", (ns, hit[1], split)
    cut = [f for f in entries.values() if f["split"]]
    print({f["namespace"]: f["split"]["rules"] for f in cut})
    assert len(cut) >= len(SPLIT_CANDIDATES) * 2 // 3
    for f in cut:
        assert f["engine"] == "yara-x" and f["split"]["engine_version"] == yara.YARA_VERSION


def test_file_yarax_rejects_runs_on_libyara_and_reports_name_engines(
    tmp_path: Path, cache_dir: Path
) -> None:
    """A rule file YARA-X refuses (an unescaped '{' in a regex, which libyara reads as a
    literal) still matches, on libyara; `lccu yara --json` and `lccu scan`'s report.json
    and report.html name each rule file's engine and version."""
    rule = tmp_path / "zone_legacy.yar"
    rule.write_text("rule zone_brace { strings: $a = /token{/ condition: $a }\n")
    try:
        yara_x.compile(rule.read_text())
        raise AssertionError("YARA-X accepted the rule; pick another construct it refuses")
    except yara_x.CompileError:
        pass
    image = tmp_path / "image.raw"
    data = bytearray(random.Random(5).randbytes(256 * 1024))
    at = 100_000
    data[at : at + 6] = b"token{"
    image.write_bytes(bytes(data))
    env_cache = {"LCCU_HOME": str(tmp_path / "home")}
    run = subprocess.run(
        [sys.executable, "-m", "lccu.cli.main", "yara", str(image), "--rules", str(rule), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, **env_cache},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    engines = {f["namespace"]: f for f in out["yara_rules"]["files"]}
    legacy = engines["zone_legacy"]
    assert legacy["engine"] == "libyara" and legacy["engine_version"] == yara.YARA_VERSION
    assert "YARA-X refused" in legacy["reason"]
    bundled = [f for ns, f in engines.items() if ns.startswith("lccu.")]
    assert bundled and {f["engine"] for f in bundled} == {"yara-x"}
    from importlib.metadata import version

    assert {f["engine_version"] for f in bundled} == {version("yara-x")}
    assert [(h["rule"], h["offset"]) for h in out["hits"] if h["namespace"] == "zone_legacy"] == [
        ("zone_brace", bytes(data).find(b"token{"))
    ]

    scan = subprocess.run(
        [
            sys.executable,
            "-m",
            "lccu.cli.main",
            "scan",
            str(image),
            "--out",
            str(tmp_path / "out"),
            "--rules",
            str(rule),
            "--carve",
            "none",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env_cache},
        timeout=300,
    )
    assert scan.returncode == 0, scan.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["yara_rules"]["files"] == out["yara_rules"]["files"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert f"libyara {yara.YARA_VERSION}" in html and f"yara-x {version('yara-x')}" in html
    assert "YARA-X refused" in html


def test_rules_yarax_parts_from_libyara_go_to_libyara(tmp_path: Path, cache_dir: Path) -> None:
    """A rule whose hits YARA-X reports otherwise than libyara (xor with fullword between
    delimiters that are letters once XORed, documented by VirusTotal) is run on libyara,
    and the differing rule is named; a plain file beside it stays on YARA-X."""
    odd = tmp_path / "odd.yar"
    odd.write_text('rule xor_word { strings: $a = "mississippi" xor(1) fullword condition: $a }\n')
    plain = tmp_path / "plain.yar"
    plain.write_text('rule plain_word { strings: $a = "mississippi" condition: $a }\n')
    data = tmp_path / "data.bin"
    data.write_bytes(b"..{" + bytes(c ^ 1 for c in b"mississippi") + b"}..")
    lib = yara.compile(source=odd.read_text()).match(str(data))
    _x_rules, x_hits = _yarax_instances(odd, "odd", data)
    assert [m.rule for m in lib] == ["xor_word"] and not x_hits  # the engines part here
    rules = load_rules([odd, plain], bundled=False, cache_dir=cache_dir)
    assert rules.engine_of("odd") == "libyara" and rules.engine_of("plain") == "yara-x"
    assert rules.files()[0]["differing_rules"] == ["xor_word"]
    assert [h.rule for h in scan_file(data, rules)] == ["xor_word"]


def _libyara_instances(path: Path, namespace: str, target: Path) -> tuple[set[str], set[Instance]]:
    """Rules and string instances yara-python (libyara, compiled here) reports."""
    oracle = yara.compile(sources={namespace: path.read_text()}, externals=EXTERNALS)
    matches = oracle.match(str(target), externals=EXTERNALS)
    return (
        {m.rule for m in matches},
        {
            (m.namespace, m.rule, s.identifier, x.offset, x.matched_length)
            for m in matches
            for s in m.strings
            for x in s.instances
        },
    )


@pytest.mark.parametrize("rule_file", sorted(_expected()))
def test_virustotal_rules_lccu_and_yarax_hits_equal_yara_python(
    rule_file: str, tmp_path: Path, cache_dir: Path
) -> None:
    """Each VirusTotal rule file on its test file (EXPECTED.json's rules) and on generated
    data planted with its strings: lccu's hits (rule, string, offset, length) equal
    yara-python's; every rule whose YARA-X hits differ anywhere here runs on libyara (a file
    may be cut per rule)."""
    entry = _expected()[rule_file]
    rules_path = corpus_file(*VT, "rules", rule_file)
    ns = rules_path.stem
    rules = load_rules([rules_path], bundled=False, cache_dir=cache_dir)
    planted_data = tmp_path / "planted.bin"
    planted_data.write_bytes(planted(text_strings(rules_path.read_text()), 21))
    differing: set[str] = set()
    for target in (corpus_file(*VT, str(entry["target"])), planted_data):
        want_rules, want = _libyara_instances(rules_path, ns, target)
        if target != planted_data:
            assert want_rules == set(entry["expected_matching_rules"])  # type: ignore[arg-type]
        hits = scan_file(target, rules, name="")
        assert {h.rule for h in hits} == want_rules, target.name
        assert {
            (h.namespace, h.rule, h.string, h.offset, h.length) for h in hits if h.string
        } == want, target.name
        x_rules, x_hits = _yarax_instances(rules_path, ns, target)
        differing |= (x_rules ^ want_rules) | {h[1] for h in x_hits ^ want}
    for rule in differing:  # per rule: a file may be cut, the differing rules on libyara
        assert rules.engine_of_rule(ns, rule) == "libyara", (rule, rules.files())
