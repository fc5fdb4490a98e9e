"""Rules and YARA-X scanner processes are loaded once per process and reused by later scans."""

from __future__ import annotations

import shutil
from pathlib import Path

import psutil
import pytest

from lccu.scan import lengths as lengths_module
from lccu.scan import load_rules, scan_stream
from lccu.scan.rules import forget_loaded_rules

KiB = 1024
GOOD = 'rule zone_good { strings: $a = "zone-marker-4711" condition: $a }\n'


def _xworkers() -> set[int]:
    me = psutil.Process()
    return {p.pid for p in me.children(recursive=True)
            if "lccu.scan.xworker" in " ".join(p.cmdline())}


def test_a_second_load_in_the_same_process_reuses_the_loaded_rules(
    tmp_path: Path, cache_dir: Path
) -> None:
    """The same rule bytes load once per process (keyed by their identity): the second load is
    the same object even with the on-disk cache gone; one changed byte loads anew."""
    forget_loaded_rules()
    f = tmp_path / "zone.yar"
    f.write_text(GOOD)
    first = load_rules([f], bundled=False, cache_dir=cache_dir)
    shutil.rmtree(cache_dir)
    assert load_rules([f], bundled=False, cache_dir=cache_dir) is first
    assert not cache_dir.exists()  # not even re-saved
    f.write_text(GOOD.replace("4711", "4712"))
    changed = load_rules([f], bundled=False, cache_dir=cache_dir)
    assert changed is not first and changed.identity != first.identity


def test_cached_load_neither_deserializes_yarax_nor_measures_strings(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load from the on-disk cache checks the YARA-X blob by its SHA-256 (no deserializing in
    a parent that hands it to scanner processes) and takes the longest match from the cache."""
    import yara_x

    forget_loaded_rules()
    f = tmp_path / "zone.yar"
    f.write_text(GOOD)
    first = load_rules([f], bundled=False, cache_dir=cache_dir)
    assert first.yarax_blob is not None and first.longest_match == len("zone-marker-4711")
    forget_loaded_rules()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("called although the cache holds the answer")

    monkeypatch.setattr(yara_x.Rules, "deserialize_from", refuse)
    monkeypatch.setattr(lengths_module, "longest_match", refuse)
    monkeypatch.setattr("lccu.scan.rules.longest_match", refuse)
    second = load_rules([f], bundled=False, cache_dir=cache_dir)
    assert second.from_cache and second.yarax_blob == first.yarax_blob
    assert second.longest_match == first.longest_match
    monkeypatch.undo()
    forget_loaded_rules()
    blob = next(cache_dir.glob("*.yarx"))
    raw = bytearray(blob.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    blob.write_bytes(bytes(raw))  # one byte changed: not trusted
    third = load_rules([f], bundled=False, cache_dir=cache_dir)
    assert not third.from_cache and third.yarax_blob == first.yarax_blob


def test_scanner_processes_serve_the_next_scan_with_the_same_rules(
    tmp_path: Path, cache_dir: Path
) -> None:
    """A second image scan with the same rules is served by the YARA-X scanner processes the
    first one started (rules deserialized once per scanner process), with the same hits."""
    forget_loaded_rules()
    f = tmp_path / "zone.yar"
    f.write_text(GOOD)
    rules = load_rules([f], bundled=False, cache_dir=cache_dir)
    assert rules.yarax_blob is not None
    data = bytearray(1024 * KiB)
    for at in (10, 300 * KiB, 700 * KiB):
        data[at : at + 16] = b"zone-marker-4711"
    image = tmp_path / "image.raw"
    image.write_bytes(bytes(data))
    before = _xworkers()

    def scan() -> list[int | None]:
        with image.open("rb") as fh:
            return [h.offset for h in scan_stream(fh, len(data), rules, segment_size=256 * KiB,
                                                  workers=2)]

    assert scan() == [10, 300 * KiB, 700 * KiB]
    started = _xworkers() - before
    assert started  # the scan ran YARA-X in scanner processes
    assert scan() == [10, 300 * KiB, 700 * KiB]
    assert _xworkers() - before == started  # the same processes, still alive


def test_libyara_scans_of_two_segments_overlap_with_one_scanner_process(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With libyara and YARA-X rules, one scanner process serves the YARA-X side while the
    parent's two threads scan two segments with libyara at the same time (the segment
    buffers are not tied to the child, so libyara never waits for the other segment's YARA-X
    scan); the hits equal those of a one-thread scan."""
    import threading

    from lccu.scan import image as image_module

    forget_loaded_rules()
    good = tmp_path / "zone.yar"
    good.write_text(GOOD)
    legacy = tmp_path / "legacy.yar"  # YARA-X refuses the unescaped '{': runs on libyara
    legacy.write_text("rule zone_brace { strings: $a = /token{/ condition: $a }\n")
    rules = load_rules([good, legacy], bundled=False, cache_dir=cache_dir)
    assert rules.engine_of("legacy") == "libyara" and rules.engine_of("zone") == "yara-x"
    data = bytearray(1024 * KiB)
    for at in (10, 300 * KiB, 700 * KiB):
        data[at : at + 16] = b"zone-marker-4711"
        data[at + 100 : at + 106] = b"token{"
    image = tmp_path / "image.raw"
    image.write_bytes(bytes(data))
    with image.open("rb") as fh:
        alone = [(h.rule, h.offset) for h in scan_stream(fh, len(data), rules,
                                                         segment_size=256 * KiB, workers=1)]
    assert len(alone) == 6
    both = threading.Barrier(2, timeout=30)
    real = image_module.match_libyara
    calls = []

    def meet_another(*args: object, **kwargs: object) -> object:
        calls.append(threading.get_ident())
        if len(calls) <= 2:
            both.wait()  # passes only when two segments are in libyara at once
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(image_module, "match_libyara", meet_another)
    before = _xworkers()
    with image.open("rb") as fh:
        found = [(h.rule, h.offset) for h in scan_stream(fh, len(data), rules,
                                                         segment_size=256 * KiB, workers=2)]
    assert found == alone
    assert len(set(calls[:2])) == 2
    assert len(_xworkers() - before) == 1  # one scanner process beside the libyara threads


def test_a_pool_has_a_buffer_per_thread_and_its_children() -> None:
    """A pool makes one segment buffer per image-scan thread and allows ``children`` scanner
    processes (a mixed rule set's pool: one buffer more than children); a retired pool still
    hands out buffers (made for the segment) instead of blocking a scan that uses it."""
    import queue as queue_module

    from lccu.scan.xpool import ScannerPool

    pool = ScannerPool(b"", 2, 1024, children=1)
    assert pool.places == 1 and pool._free.qsize() == 1 and pool._idle.qsize() == 2
    with pool.buffer() as a, pool.buffer() as b:
        assert a.index != b.index and len(a.memory) == 1024
        a.memory[:4] = b"abcd"
    pool.close()
    with pool.buffer() as c, pool.buffer() as d:
        assert len(c.memory) == len(d.memory) == 1024 and c.index != d.index
    assert pool._idle.qsize() == 2
    try:
        pool._free.get_nowait()
        pool._free.get_nowait()
    except queue_module.Empty:
        pass
    else:
        raise AssertionError("more places than the pool's children")
