"""Per-file scans equal the Debian yara command line on the same files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lccu.errors import InvalidInput, ScanError
from lccu.scan import ScanProblem, load_rules, scan_file
from lccu.testing.corpus import corpus_file

VT = "yara-tests/virustotal-yara"
SLOW_RULE = (
    "rule slow_loop { condition: "
    "for any i in (0..filesize) : ( for any j in (0..1000) : ( uint8(i + j) == 0xAB ) ) }\n"
)


def _expected() -> dict[str, dict[str, object]]:
    return json.loads(corpus_file(*VT.split("/"), "EXPECTED.json").read_text())


def _instances(hits: list) -> set[tuple[str, str, str, int, int]]:  # type: ignore[type-arg]
    return {(h.namespace, h.rule, h.string, h.offset, h.length) for h in hits if h.string}


@pytest.mark.parametrize("rule_file", sorted(_expected()))
def test_corpus_rules_match_like_cli_and_published_answers(
    rule_file: str, cache_dir: Path, yara_cli: Callable[..., tuple[set, set]]  # type: ignore[type-arg]
) -> None:
    """On each VirusTotal test file, matched rules equal EXPECTED.json and the yara CLI's hits."""
    entry = _expected()[rule_file]
    rules_path = corpus_file(*VT.split("/"), "rules", rule_file)
    target = corpus_file(*VT.split("/"), str(entry["target"]))
    rules = load_rules([rules_path], bundled=False, cache_dir=cache_dir)
    hits = scan_file(target, rules)
    ns = rules_path.stem
    assert {h.rule for h in hits} == set(entry["expected_matching_rules"])  # type: ignore[arg-type]
    cli_rules, cli_strings = yara_cli([(ns, rules_path)], target)
    assert {(h.namespace, h.rule) for h in hits} == cli_rules
    assert _instances(hits) == cli_strings


def test_bundled_rules_on_eicar_file_equal_cli(
    cache_dir: Path, bundled_files: list[tuple[str, Path]], yara_cli: Callable[..., tuple]  # type: ignore[type-arg]
) -> None:
    """The bundled rules find EICAR in the corpus eicar.com exactly where the yara CLI does."""
    target = corpus_file("yara-tests", "eicar.com")
    rules = load_rules([], cache_dir=cache_dir)
    hits = scan_file(target, rules)
    cli_rules, cli_strings = yara_cli(bundled_files, target)
    assert ("lccu.eicar", "lccu_eicar_test_string") in cli_rules
    assert {(h.namespace, h.rule) for h in hits} == cli_rules
    assert _instances(hits) == cli_strings


def test_zero_byte_file_equals_cli(
    tmp_path: Path, cache_dir: Path, yara_cli: Callable[..., tuple]  # type: ignore[type-arg]
) -> None:
    """A zero-byte file is scanned (by path and as a stream) and gives the CLI's matches."""
    rule = tmp_path / "empty.yar"
    rule.write_text('rule is_empty { condition: filesize == 0 }\n'
                    'rule has_x { strings: $x = "x" condition: $x }\n')
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    rules = load_rules([rule], bundled=False, cache_dir=cache_dir)
    cli_rules, cli_strings = yara_cli([("empty", rule)], empty)
    for hits in (scan_file(empty, rules), scan_file(io.BytesIO(b""), rules, name="empty.bin")):
        assert {(h.namespace, h.rule) for h in hits} == cli_rules == {("empty", "is_empty")}
        assert _instances(hits) == cli_strings == set()


def test_stream_and_path_give_the_same_hits(tmp_path: Path, cache_dir: Path) -> None:
    """Scanning a carved file from a stream gives the same records as scanning its path."""
    target = corpus_file("yara-tests", "eicar.com")
    rules = load_rules([], cache_dir=cache_dir)
    by_path = scan_file(target, rules, source="carved")
    with target.open("rb") as fh:
        by_stream = scan_file(fh, rules, source="carved")
    assert [h.to_dict() for h in by_path] == [h.to_dict() for h in by_stream]
    assert all(h.source == "carved" for h in by_path)


def test_timeout_is_recorded_not_skipped(tmp_path: Path, cache_dir: Path) -> None:
    """A rule that exceeds the timeout yields a timeout record (or ScanError), never silence."""
    rule = tmp_path / "slow.yar"
    rule.write_text(SLOW_RULE)
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(4 * 1024 * 1024))
    rules = load_rules([rule], bundled=False, cache_dir=cache_dir)
    errors: list[ScanProblem] = []
    assert scan_file(big, rules, timeout=1, errors=errors) == []
    assert [(e.kind, e.target) for e in errors] == [("timeout", str(big))]
    with pytest.raises(ScanError, match="gave up"):
        scan_file(big, rules, timeout=1)


def test_bad_file_inputs_are_clear_errors(tmp_path: Path, cache_dir: Path) -> None:
    """A directory, a missing path, a zero timeout or an oversized stream raise InvalidInput."""
    rules = load_rules([], cache_dir=cache_dir)
    with pytest.raises(InvalidInput, match="not a regular file"):
        scan_file(tmp_path, rules)
    with pytest.raises(InvalidInput, match="not a regular file"):
        scan_file(tmp_path / "missing", rules)
    with pytest.raises(InvalidInput, match="timeout"):
        scan_file(io.BytesIO(b"x"), rules, timeout=0)
    with pytest.raises(InvalidInput, match="larger than"):
        scan_file(io.BytesIO(b"x" * 100), rules, max_bytes=10)


def test_file_name_externals_are_set_from_the_path(tmp_path: Path, cache_dir: Path) -> None:
    """Rules testing filename/extension (as signature-base does) see the scanned file's name."""
    rule = tmp_path / "named.yar"
    rule.write_text('rule named_exe { condition: filename == "tool.exe" and extension == ".exe" }\n'
                    'rule anonymous { condition: filename == "" }\n')
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    rules = load_rules([rule], bundled=False, cache_dir=cache_dir)
    assert [h.rule for h in scan_file(exe, rules)] == ["named_exe"]
    assert [h.rule for h in scan_file(io.BytesIO(b"MZ"), rules)] == ["anonymous"]


def test_records_serialise_to_json(cache_dir: Path) -> None:
    """Hit.to_dict() carries the truncated hex of the match and round-trips through JSON."""
    target = corpus_file("yara-tests", "eicar.com")
    hit = scan_file(target, load_rules([], cache_dir=cache_dir))[0]
    raw = json.loads(json.dumps(hit.to_dict()))
    assert bytes.fromhex(raw["matched"]) == target.read_bytes()[:64]
    assert raw["length"] == 68 and raw["offset"] == 0 and raw["source"] == "file"
    problem = ScanProblem("timeout", "x", "m", 0, 1, details={"timeout": 1})
    assert json.loads(json.dumps(problem.to_dict()))["kind"] == "timeout"
