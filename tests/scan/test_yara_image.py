"""Whole-image streaming scans equal the Debian yara command line on the same bytes."""

from __future__ import annotations

import io
import subprocess
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lccu.errors import InvalidInput, ScanError
from lccu.scan import ScanProblem, load_rules, scan_stream
from lccu.scan.image import LOOKBEHIND
from lccu.testing.corpus import corpus_file

KiB = 1024
MiB = 1024 * KiB
CliScan = Callable[..., tuple[set, set]]  # type: ignore[type-arg]


def _instances(hits: list) -> set[tuple[str, str, str, int, int]]:  # type: ignore[type-arg]
    return {(h.namespace, h.rule, h.string, h.offset, h.length) for h in hits}


def _scan_file_as_image(path: Path, rules, **kwargs) -> list:  # type: ignore[no-untyped-def,type-arg]
    with path.open("rb") as fh:
        return list(scan_stream(fh, path.stat().st_size, rules, **kwargs))


def test_generated_image_hits_equal_cli_across_segments(
    tmp_path: Path, cache_dir: Path, bundled_files: list[tuple[str, Path]],
    yara_cli: CliScan, image_builder: Callable[..., Path], artefacts: list[bytes],
) -> None:
    """Bundled rules over a 3 MiB image in 256 KiB segments give exactly the CLI's string hits."""
    seg = 256 * KiB
    plants: dict[int, bytes] = {}
    for i, blob in enumerate(artefacts):
        plants[100 * KiB + i * 150 * KiB] = blob  # spread over many segments
        edge = (i + 1) * seg
        plants[edge - len(blob) // 2] = blob  # straddling a segment edge
    image = image_builder(tmp_path / "image.raw", 3 * MiB, plants)
    _cli_rules, expected = yara_cli(bundled_files, image)
    assert len({(ns, rule) for ns, rule, *_ in expected}) == 13  # every bundled rule fires
    rules = load_rules([], cache_dir=cache_dir)
    errors: list[ScanProblem] = []
    hits = _scan_file_as_image(image, rules, segment_size=seg, workers=2, errors=errors)
    assert errors == []
    assert len(hits) == len(_instances(hits))  # nothing doubled
    assert _instances(hits) == expected
    assert [h.offset for h in hits] == sorted(h.offset for h in hits)  # type: ignore[type-var]


@pytest.mark.parametrize("shift", [-68, -67, -34, -1, 0, 1])
def test_match_at_segment_edge_found_exactly_once(
    tmp_path: Path, cache_dir: Path, bundled_files: list[tuple[str, Path]],
    yara_cli: CliScan, image_builder: Callable[..., Path], artefacts: list[bytes], shift: int,
) -> None:
    """EICAR planted at, just before and across a segment edge is reported once, as by the CLI."""
    seg = 64 * KiB
    image = image_builder(tmp_path / "edge.raw", 3 * seg, {2 * seg + shift: artefacts[0]})
    _r, expected = yara_cli(bundled_files, image)
    hits = _scan_file_as_image(image, load_rules([], cache_dir=cache_dir), segment_size=seg)
    eicar = [h for h in hits if h.rule == "lccu_eicar_test_string"]
    assert [h.offset for h in eicar] == [2 * seg + shift]
    assert _instances(hits) == expected


@pytest.mark.parametrize("rule_file", ["xor.yar", "base64.yar", "xorwideandascii.yar"])
def test_corpus_string_rules_as_image_equal_cli(
    cache_dir: Path, yara_cli: CliScan, rule_file: str
) -> None:
    """VirusTotal xor/base64 test files streamed as images (one segment) give the CLI's hits."""
    vt = corpus_file("yara-tests", "virustotal-yara")
    target = {"xor.yar": "xor.out", "base64.yar": "base64",
              "xorwideandascii.yar": "xorwideandascii.out"}[rule_file]
    rule_path = vt / "rules" / rule_file
    rules = load_rules([rule_path], bundled=False, cache_dir=cache_dir)
    hits = _scan_file_as_image(vt / "data" / target, rules)
    _r, expected = yara_cli([(rule_path.stem, rule_path)], vt / "data" / target)
    assert expected and _instances(hits) == expected


def test_zero_size_image_yields_nothing(tmp_path: Path, cache_dir: Path, yara_cli: CliScan,
                                        bundled_files: list[tuple[str, Path]]) -> None:
    """An empty image gives no hits and no problems, like the CLI on an empty file."""
    empty = tmp_path / "empty.raw"
    empty.write_bytes(b"")
    errors: list[ScanProblem] = []
    hits = _scan_file_as_image(empty, load_rules([], cache_dir=cache_dir), errors=errors)
    assert hits == [] and errors == []
    assert yara_cli(bundled_files, empty) == (set(), set())


def test_huge_number_of_hits_is_bounded_and_counted(
    tmp_path: Path, cache_dir: Path, yara_cli: CliScan, bundled_files: list[tuple[str, Path]]
) -> None:
    """With max_hits=500 only 500 hits are yielded and the CLI's total is reported."""
    image = tmp_path / "many.raw"
    image.write_bytes(b"mimikatz;" * (512 * KiB // 9))
    _r, expected = yara_cli(bundled_files, image)
    errors: list[ScanProblem] = []
    hits = _scan_file_as_image(image, load_rules([], cache_dir=cache_dir), max_hits=500,
                               segment_size=128 * KiB, errors=errors)
    assert len(hits) == 500
    assert [(e.kind, e.count) for e in errors] == [("max_hits", len(expected))]
    assert _instances(hits) <= expected


def test_segment_timeouts_are_recorded(tmp_path: Path, cache_dir: Path) -> None:
    """A pathological rule times out on every segment; each is a timeout record covering it."""
    rule = tmp_path / "slow.yar"
    rule.write_text(
        'rule slow_loop { strings: $a = "never-here-0451" condition: $a or '
        "for any i in (0..filesize) : ( for any j in (0..1000) : ( uint8(i + j) == 0xAB ) ) }\n"
    )
    rules = load_rules([rule], bundled=False, cache_dir=cache_dir)
    size = 8 * MiB
    errors: list[ScanProblem] = []
    hits = list(scan_stream(io.BytesIO(bytes(size)), size, rules, segment_size=4 * MiB,
                            timeout=1, errors=errors))
    assert hits == []
    assert sorted((e.kind, e.start, e.end) for e in errors) == [
        ("timeout", 0, 4 * MiB), ("timeout", 4 * MiB, 8 * MiB)]
    with pytest.raises(ScanError, match="gave up"):
        list(scan_stream(io.BytesIO(bytes(size)), size, rules, segment_size=4 * MiB, timeout=1))


def test_truncated_image_is_a_read_error(cache_dir: Path) -> None:
    """An image shorter than its stated size is scanned as far as it goes and the gap reported."""
    data = b"\0" * 1000
    errors: list[ScanProblem] = []
    list(scan_stream(io.BytesIO(data), 5000, load_rules([], cache_dir=cache_dir),
                     segment_size=2048, errors=errors))
    assert errors and {e.kind for e in errors} == {"read_error"}
    assert min(e.start for e in errors if e.start is not None) == 1000


class _NoSeek(io.RawIOBase):
    def readable(self) -> bool:
        return True


def test_bad_image_arguments_are_invalid_input(cache_dir: Path) -> None:
    """Non-positive sizes, a non-seekable stream or a too-short overlap raise InvalidInput."""
    rules = load_rules([], cache_dir=cache_dir)
    with pytest.raises(InvalidInput):
        scan_stream(io.BytesIO(b""), 10, rules, segment_size=0)
    with pytest.raises(InvalidInput):
        scan_stream(io.BytesIO(b""), -1, rules)
    with pytest.raises(InvalidInput, match="seekable"):
        scan_stream(_NoSeek(), 10, rules)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="overlap"):
        scan_stream(io.BytesIO(b""), 10, rules, overlap=16)


def test_memory_is_bounded_by_segments_not_image(tmp_path: Path, cache_dir: Path) -> None:
    """Scanning a 48 MiB image in 2 MiB segments allocates a few segments' worth, not the image."""
    image = tmp_path / "big.raw"
    with image.open("wb") as fh:
        for _ in range(48):
            fh.write(bytes(MiB))
    rules = load_rules([], cache_dir=cache_dir)
    tracemalloc.start()
    try:
        hits = _scan_file_as_image(image, rules, segment_size=2 * MiB, workers=2)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert hits == []
    assert peak < 6 * 2 * MiB  # at most 2 workers x 2 queued segments, plus slack


def test_yara_match_limit_is_reported_like_cli(tmp_path: Path, cache_dir: Path) -> None:
    """Over a million matches of one string: the CLI warns, lccu records too_many_matches."""
    rule = tmp_path / "many.yar"
    rule.write_text('rule many { strings: $a = "abab" condition: $a }\n')
    image = tmp_path / "many.raw"
    image.write_bytes(b"ab" * 1_100_000)
    cli = subprocess.run(["yara", "-s", str(rule), str(image)], capture_output=True, text=True)
    cli_count = sum(1 for line in cli.stdout.splitlines() if line.startswith("0x"))
    assert "too many matches" in cli.stderr
    errors: list[ScanProblem] = []
    hits = _scan_file_as_image(image, load_rules([rule], bundled=False, cache_dir=cache_dir),
                               max_hits=10, errors=errors)
    assert [h.offset for h in hits] == list(range(0, 20, 2))
    kinds = {e.kind: e for e in errors}
    assert set(kinds) == {"too_many_matches", "max_hits"}
    assert kinds["too_many_matches"].details["string"] == "many:many:$a"
    assert kinds["max_hits"].count == cli_count


class _FailingStream(io.BytesIO):
    """A stream whose store fails for reads past ``bad_from`` (a flaky S3 range, say)."""

    def __init__(self, data: bytes, bad_from: int) -> None:
        super().__init__(data)
        self.bad_from = bad_from

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.bad_from:
            raise OSError("simulated I/O error")
        return super().read(size)

    def readinto(self, buffer: Any) -> int:
        if self.tell() >= self.bad_from:
            raise OSError("simulated I/O error")
        return super().readinto(buffer)


def test_read_failure_is_recorded_and_other_segments_still_scanned(
    cache_dir: Path, artefacts: list[bytes]
) -> None:
    """An I/O error in one segment becomes a read_error record; hits elsewhere are still found."""
    seg = 64 * KiB
    data = bytearray(3 * seg)
    data[10 : 10 + len(artefacts[0])] = artefacts[0]
    errors: list[ScanProblem] = []
    hits = list(scan_stream(_FailingStream(bytes(data), 2 * seg - LOOKBEHIND), len(data),
                            load_rules([], cache_dir=cache_dir), segment_size=seg,
                            errors=errors))
    assert [h.offset for h in hits] == [10]
    assert [(e.kind, e.start, e.end) for e in errors] == [("read_error", 2 * seg, 3 * seg)]


def test_spans_add_up_to_the_whole_image_scan(tmp_path: Path) -> None:
    """A worker's YARA segment is ``scan_stream(span=...)``: the hits of adjacent spans are
    exactly the whole-image hits. A match straddling a span edge belongs to the span it
    starts in (the overlap reaches past the span); a ``fullword`` string that starts at a
    span edge right after a letter is no hit in either (the look-behind sees the letter;
    a window cut at the edge saw a false word boundary there)."""
    rule = tmp_path / "span.yar"
    rule.write_text('rule straddle { strings: $s = "LCCU-SPAN-STRADDLES-THE-EDGE" '
                    'condition: $s }\n'
                    'rule word { strings: $w = "spanword" fullword condition: $w }\n')
    rules = load_rules([rule])
    span = 64 * KiB
    data = bytearray(b"." * (4 * span))
    data[span - 10: span - 10 + 28] = b"LCCU-SPAN-STRADDLES-THE-EDGE"
    data[2 * span - 1: 2 * span + 8] = b"xspanword"  # no word boundary before the edge
    data[3 * span + 100: 3 * span + 110] = b" spanword "  # a real word inside a span
    stream = io.BytesIO(bytes(data))
    whole = list(scan_stream(stream, len(data), rules, segment_size=16 * KiB))
    parts = [hit for lo in range(0, len(data), span)
             for hit in scan_stream(stream, len(data), rules, segment_size=16 * KiB,
                                    span=(lo, lo + span))]
    assert _instances(parts) == _instances(whole)
    assert len(parts) == len(whole)
    assert sorted((h.rule, h.offset) for h in whole) == [("straddle", span - 10),
                                                         ("word", 3 * span + 101)]
    with pytest.raises(InvalidInput, match="span"):
        list(scan_stream(stream, len(data), rules, span=(0, len(data) + 1)))
