"""Rule loading: bundled set, manifest, namespaces, broken files, cache, identity, lengths."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yara

from lccu.errors import RuleError
from lccu.scan import load_rules, scan_file
from lccu.scan.bundled import bundled_rules_dir
from lccu.scan.lengths import string_lengths
from lccu.scan.rules import forget_loaded_rules
from lccu.testing.corpus import corpus_file

GOOD = 'rule zone_good { strings: $a = "zone-marker-4711" condition: $a }\n'
BAD = 'rule zone_bad\n{\n    condition: $missing\n}\n'


def _cli_error_line(path: Path) -> int:
    """The line the Debian yara names when it refuses ``path``."""
    cli = subprocess.run(["yara", str(path), "/dev/null"], capture_output=True, text=True)
    assert cli.returncode != 0
    m = re.search(r"error: .*\((\d+)\)", cli.stderr)
    assert m, cli.stderr
    return int(m.group(1))


def test_manifest_lists_every_bundled_file_with_its_sha256() -> None:
    """rules/MANIFEST names exactly the bundled rule files, each with its current SHA-256."""
    root = bundled_rules_dir()
    listed = {}
    for line in (root / "MANIFEST").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.glob("*.yar")}
    assert listed == on_disk


def test_bundled_rules_have_required_meta_and_compile_with_the_cli(
    cache_dir: Path, bundled_files: list[tuple[str, Path]]
) -> None:
    """Every bundled file compiles with the Debian yara and each rule has the four meta keys."""
    for _ns, path in bundled_files:
        proc = subprocess.run(["yara", "-w", str(path), "/dev/null"], capture_output=True)
        assert proc.returncode == 0, proc.stderr
    compiled = yara.compile(filepaths={ns: str(p) for ns, p in bundled_files})
    for rule in compiled:
        assert {"description", "author", "reference", "severity"} <= set(rule.meta), rule
        assert rule.meta["author"] == "lccu"
        assert rule.tags, rule.identifier
    rules = load_rules([], bundled=True, cache_dir=cache_dir)
    assert {s.path for s in rules.sources} == {p for _, p in bundled_files}


def test_invalid_rule_file_error_names_file_and_line(tmp_path: Path, cache_dir: Path) -> None:
    """A broken rule file raises RuleError naming the file and the line the yara CLI names."""
    (tmp_path / "zone").mkdir()
    (tmp_path / "zone" / "good.yar").write_text(GOOD)
    bad = tmp_path / "zone" / "bad.yar"
    bad.write_text(BAD)
    cli_line = _cli_error_line(bad)
    with pytest.raises(RuleError) as info:
        load_rules([tmp_path / "zone"], bundled=False, cache_dir=cache_dir)
    assert str(bad) in str(info.value)
    assert f"line {cli_line}" in str(info.value)


def test_skip_invalid_reports_broken_file_and_keeps_the_good_one(
    tmp_path: Path, cache_dir: Path, yara_cli: object
) -> None:
    """skip_invalid=True lists the broken file in errors and still matches the good file's rule."""
    zone = tmp_path / "zone"
    zone.mkdir()
    (zone / "good.yar").write_text(GOOD)
    (zone / "bad.yar").write_text(BAD)
    rules = load_rules([zone], bundled=False, cache_dir=cache_dir, skip_invalid=True)
    assert [e.path.name for e in rules.errors] == ["bad.yar"]
    assert rules.errors[0].line == _cli_error_line(zone / "bad.yar")
    sample = tmp_path / "sample.bin"
    sample.write_bytes(b"...zone-marker-4711...")
    expected_rules, expected = yara_cli([("zone.good", zone / "good.yar")], sample)  # type: ignore[operator]
    hits = scan_file(sample, rules)
    assert {(h.namespace, h.rule, h.string, h.offset, h.length) for h in hits} == expected
    assert expected_rules == {("zone.good", "zone_good")}
    forget_loaded_rules()  # this process's loaded sets aside: the on-disk cache is tested
    again = load_rules([zone], bundled=False, cache_dir=cache_dir, skip_invalid=True)
    assert again.from_cache and [e.path.name for e in again.errors] == ["bad.yar"]


def test_missing_path_and_non_utf8_file_raise_rule_error(tmp_path: Path, cache_dir: Path) -> None:
    """A rule path that does not exist, or a file that is not UTF-8, is a RuleError."""
    with pytest.raises(RuleError, match="does not exist"):
        load_rules([tmp_path / "nope"], bundled=False, cache_dir=cache_dir)
    latin = tmp_path / "latin.yar"
    latin.write_bytes(b'rule x { strings: $a = "caf\xe9" condition: $a }')
    with pytest.raises(RuleError, match="UTF-8"):
        load_rules([latin], bundled=False, cache_dir=cache_dir)


def test_identity_follows_content(tmp_path: Path, cache_dir: Path) -> None:
    """The rule-set identity is stable for the same bytes and changes when one byte changes."""
    f = tmp_path / "zone.yar"
    f.write_text(GOOD)
    first = load_rules([f], bundled=False, cache_dir=cache_dir)
    assert load_rules([f], bundled=False, cache_dir=cache_dir).identity == first.identity
    f.write_text(GOOD.replace("4711", "4712"))
    changed = load_rules([f], bundled=False, cache_dir=cache_dir)
    assert changed.identity != first.identity and not changed.from_cache
    assert changed.custody()["files"][0]["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()


def test_signature_base_compiles_and_second_load_uses_cache(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sixth of signature-base (every sixth file) compiles with no file skipped; a second
    load reads the cache (engines chosen and both compiled sets), no compiler. (The whole
    set is loaded by bench/yara_differential.py.)"""
    base = tmp_path / "sigbase"
    base.mkdir()
    for path in sorted(corpus_file("yara-signature-base").glob("*.yar"))[::6]:
        (base / path.name).write_bytes(path.read_bytes())
    first = load_rules([base], bundled=False, cache_dir=cache_dir)
    assert not first.errors and not first.from_cache
    assert len(first.sources) == len(list(base.glob("*.yar")))

    def no_compile(*args: object, **kwargs: object) -> None:
        raise AssertionError("a compiler was called although the cache is current")

    for name in ("compile_libyara", "choose_engines"):
        monkeypatch.setattr(f"lccu.scan.rules.{name}", no_compile)
    monkeypatch.setattr(yara, "compile", no_compile)
    forget_loaded_rules()  # this process's loaded sets aside: the on-disk cache is tested
    second = load_rules([base], bundled=False, cache_dir=cache_dir)
    assert second.from_cache and second.identity == first.identity
    assert second.choices == first.choices
    names = sorted(r.identifier for r in first.yarax)
    assert sorted(r.identifier for r in second.yarax) == names


def test_damaged_cache_is_rebuilt(tmp_path: Path, cache_dir: Path) -> None:
    """A truncated cache file is ignored and rebuilt, never trusted."""
    f = tmp_path / "zone.yar"
    f.write_text(GOOD)
    load_rules([f], bundled=False, cache_dir=cache_dir)
    damaged = [*cache_dir.glob("*.yarc"), *cache_dir.glob("*.yarx")]
    assert damaged
    for cached in damaged:
        cached.write_bytes(b"YARA garbage")
    forget_loaded_rules()  # this process's loaded sets aside: the on-disk cache is tested
    again = load_rules([f], bundled=False, cache_dir=cache_dir)
    assert not again.from_cache
    sample = b"..zone-marker-4711.."
    assert [h.rule for h in scan_file(io.BytesIO(sample), again)] == ["zone_good"]


LENGTH_RULES = r"""
rule lengths {
  strings:
    $t = "abc" wide
    $h = { 41 [2-4] ( 42 | 43 44 ) }
    $r = /x[0-9]{2,5}(y|zz)/
    $u = /q[0-9]+/
  condition: any of them
}
"""


def test_longest_match_equals_cli_length_of_a_maximal_instance(tmp_path: Path) -> None:
    """longest_match equals the length yara -L reports for a planted longest instance; + is None."""
    rule = tmp_path / "lengths.yar"
    rule.write_text(LENGTH_RULES)
    sample = tmp_path / "sample"
    sample.write_bytes(b"\xff" * 8 + "abc".encode("utf-16-le") + b"\xff" * 8 + b"A1234CD"
                       + b"\xff" * 8 + b"x12345zz" + b"\xff" * 8 + b"q12\xff")
    out = subprocess.run(["yara", "-s", "-L", str(rule), str(sample)], capture_output=True,
                         text=True, check=True).stdout
    cli = {}
    for m in re.finditer(r"^0x[0-9a-f]+:(\d+):(\$\w+):", out, re.M):
        cli[m.group(2)] = max(cli.get(m.group(2), 0), int(m.group(1)))
    ours = {ident: length for _rule, ident, length in string_lengths(rule.read_text())}
    assert ours["$u"] is None
    assert {k: v for k, v in ours.items() if k != "$u"} == {k: cli[k] for k in ("$t", "$h", "$r")}


def test_include_and_namespace_clash_are_refused(tmp_path: Path, cache_dir: Path) -> None:
    """A file using include, or two files with the same namespace, raise RuleError naming them."""
    (tmp_path / "other.yar").write_text(GOOD)
    inc = tmp_path / "inc.yar"
    inc.write_text(f'include "{tmp_path / "other.yar"}"\n')
    with pytest.raises(RuleError, match=r"inc\.yar"):
        load_rules([inc], bundled=False, cache_dir=cache_dir)
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        (d / "zone").mkdir(parents=True)
        (d / "zone" / "x.yar").write_text(GOOD)
    with pytest.raises(RuleError, match="namespace"):
        load_rules([a / "zone", b / "zone"], bundled=False, cache_dir=cache_dir)


def test_default_cache_lives_under_lccu_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without cache_dir the compiled rules are saved under <LCCU_HOME>/cache/yara/<identity>."""
    monkeypatch.setenv("LCCU_HOME", str(tmp_path / "home"))
    rules = load_rules([], bundled=True)
    entry = tmp_path / "home" / "cache" / "yara" / rules.identity
    assert entry.with_suffix(".json").is_file() and entry.with_suffix(".yarx").is_file()
    forget_loaded_rules()  # this process's loaded sets aside: the on-disk cache is tested
    assert load_rules([], bundled=True).from_cache


def test_bundled_strings_are_bounded_and_cover_cli_lengths(
    tmp_path: Path, cache_dir: Path, bundled_files: list[tuple[str, Path]],
    yara_cli: Callable[..., tuple[set, set]],  # type: ignore[type-arg]
    image_builder: Callable[..., Path], artefacts: list[bytes],
) -> None:
    """Every bundled string has a bound, and no match the CLI reports is longer than it."""
    bounds = {}
    for ns, path in bundled_files:
        for rule, ident, length in string_lengths(path.read_text()):
            assert length is not None, (rule, ident)
            bounds[(ns, rule, ident)] = length
    rules = load_rules([], cache_dir=cache_dir)
    assert rules.longest_match == max(bounds.values())
    image = image_builder(tmp_path / "a.raw", 64 * 1024,
                          {1000 + i * 400: blob for i, blob in enumerate(artefacts)})
    _rules, instances = yara_cli(bundled_files, image)
    assert instances
    for ns, rule, ident, _offset, length in instances:
        assert length <= bounds[(ns, rule, ident)]
