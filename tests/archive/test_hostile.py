"""Hostile archives: every attack is stopped by its limit, recorded, and writes nothing
outside the output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lccu.archive import ExpansionLimits, expand, expansion_limits
from lccu.errors import ConfigError
from lccu.testing.archives import BuiltArchive

MIB = 1024 * 1024


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _jail(tmp_path: Path) -> tuple[Path, Path]:
    """An output folder two levels down in an otherwise empty folder we can watch."""
    jail = tmp_path / "jail"
    out = jail / "a" / "out"
    out.mkdir(parents=True)
    return jail, out


def test_names_and_links_recorded_never_followed(hostile_set: tuple[Path, list[BuiltArchive]],
                                                 tmp_path: Path) -> None:
    """`../../x`, an absolute name and a symlink member are recorded as such (with the
    link's target) and every byte written stays inside the output folder."""
    folder, _ = hostile_set
    jail, out = _jail(tmp_path)
    assert not Path("/tmp/lccu-absolute.txt").exists()
    zipped = expand(folder / "escape.zip", "zip", "escape.zip", out / "z")
    tarred = expand(folder / "links.tar", "tar", "links.tar", out / "t")
    findings = {m.entry.name: m.findings for m in zipped.members + tarred.members}
    assert "path-traversal" in findings["../../x.txt"]
    assert "absolute-path" in findings["/tmp/lccu-absolute.txt"]
    assert "path-traversal" in findings["../up.txt"]
    link = next(m for m in tarred.members if m.entry.name == "shadow-link")
    assert "symlink" in link.findings and link.entry.link_target == "/etc/shadow"
    assert link.stored is None
    written = _files(jail)
    assert written and all(out in p.parents for p in written)
    assert not any(p.is_symlink() for p in written)
    assert not Path("/tmp/lccu-absolute.txt").exists()


def test_high_ratio_member_stopped(hostile_set: tuple[Path, list[BuiltArchive]],
                                   tmp_path: Path) -> None:
    """A 32 MiB member of zeros (deflate, about 1000:1) stops at a 100:1 ratio limit, early,
    with a record naming the limit and no partial file left."""
    folder, _ = hostile_set
    result = expand(folder / "ratio-bomb.zip", "zip", "ratio-bomb.zip", tmp_path / "out",
                    limits=ExpansionLimits(max_ratio=100))
    (member,) = result.members
    assert member.findings == ["stopped-ratio"] and member.stored is None
    container = result.containers[0]
    assert container.stopped == "max_ratio" and not container.complete
    assert "LCCU_ARCHIVE_MAX_RATIO" in container.problems[0]
    assert result.written < 4 * MIB and not _files(tmp_path / "out")


def test_nested_bomb_stopped_by_byte_budget(hostile_set: tuple[Path, list[BuiltArchive]],
                                            tmp_path: Path) -> None:
    """42.zip-style nesting (4 x 4 x 4 zips of 8 MiB zeros, 512 MiB in all) stops at a
    24 MiB budget: every enclosing container says so, and the disk holds at most that."""
    folder, _ = hostile_set
    result = expand(folder / "nest-bomb.zip", "zip", "nest-bomb.zip", tmp_path / "out",
                    limits=ExpansionLimits(max_total_bytes=24 * MIB, max_ratio=10**6))
    stopped = [c for c in result.containers if c.stopped == "max_total_bytes"]
    assert [c.depth for c in stopped] == [0, 1, 2, 3]
    assert any("stopped-total-bytes" in m.findings for m in result.members)
    on_disk = sum(p.stat().st_size for p in _files(tmp_path / "out"))
    assert on_disk <= 24 * MIB and result.written <= 24 * MIB


def test_depth_and_member_count_limits(hostile_set: tuple[Path, list[BuiltArchive]],
                                       tmp_path: Path) -> None:
    """With depth 2 the zips at depth 2 are listed but not opened; with one member allowed
    per container the rest are not read and the container says why."""
    folder, _ = hostile_set
    shallow = expand(folder / "nest-bomb.zip", "zip", "nest-bomb.zip", tmp_path / "a",
                     limits=ExpansionLimits(max_depth=2))
    assert max(m.depth for m in shallow.members) == 2
    assert all("not-expanded-depth" in m.findings for m in shallow.members if m.depth == 2)
    narrow = expand(folder / "nest-bomb.zip", "zip", "nest-bomb.zip", tmp_path / "b",
                    limits=ExpansionLimits(max_members=1, max_ratio=10**6))
    assert all(c.members <= 1 for c in narrow.containers)
    assert narrow.containers[0].stopped == "max_members"


def test_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each limit reads from LCCU_ARCHIVE_<NAME>; a value that is not a whole number is a
    ConfigError naming the variable."""
    monkeypatch.setenv("LCCU_ARCHIVE_MAX_DEPTH", "3")
    assert expansion_limits().max_depth == 3
    monkeypatch.setenv("LCCU_ARCHIVE_MAX_RATIO", "lots")
    with pytest.raises(ConfigError, match="LCCU_ARCHIVE_MAX_RATIO"):
        expansion_limits()
    monkeypatch.delenv("LCCU_ARCHIVE_MAX_RATIO")
    assert os.environ.get("LCCU_ARCHIVE_MAX_RATIO") is None
    assert expansion_limits().max_ratio == ExpansionLimits().max_ratio


def test_large_member_streamed_in_bounded_memory(tmp_path: Path) -> None:
    """A 96 MiB member is written and hashed in blocks: the expanding process's peak RSS
    grows by far less than the member's size (measured in a fresh child process)."""
    import hashlib
    import json
    import subprocess
    import sys
    import zipfile

    data = bytes(96 * MIB)
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", data)
    child = (
        "import json, resource, sys\n"
        "from pathlib import Path\n"
        "from lccu.archive import ExpansionLimits, expand\n"
        "import lccu.archive.engine, lccu.archive.readers.libarchive_reader, lccu.fs.content\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "r = expand(Path(sys.argv[1]), 'zip', 'big.zip', Path(sys.argv[2]),\n"
        "           limits=ExpansionLimits(max_ratio=10**6))\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'grew_kib': after - before, 'sha256': r.members[0].sha256}))\n")
    done = subprocess.run([sys.executable, "-c", child, str(tmp_path / "big.zip"),
                           str(tmp_path / "out")], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert found["sha256"] == hashlib.sha256(data).hexdigest()
    assert found["grew_kib"] < 24 * 1024, found


def test_gzip_quine_is_a_recursive_archive(tmp_path: Path) -> None:
    """A gzip file that decompresses to itself (Cox's construction, built here and checked
    with Python's gzip and GNU gzip) ends at once with a "recursive archive" record: one
    member, not opened again, its bytes written once; inside a zip it is caught one level
    down, and a plain .gz.gz is still expanded layer by layer."""
    import gzip
    import hashlib
    import shutil
    import subprocess
    import time
    import zipfile

    from lccu.testing.quine import gzip_quine

    quine = gzip_quine()
    path = tmp_path / "quine.gz"
    path.write_bytes(quine)
    assert gzip.decompress(quine) == quine
    gnu = shutil.which("gzip")
    assert gnu, "GNU gzip is needed"
    assert subprocess.run([gnu, "-dc", str(path)], capture_output=True, check=True,
                          timeout=30).stdout == quine
    digest = hashlib.sha256(quine).hexdigest()
    jail, out = _jail(tmp_path)
    started = time.monotonic()
    result = expand(path, "gzip", "quine.gz", out / "q", sha256=digest)
    assert time.monotonic() - started < 10
    (member,) = result.members
    assert member.sha256 == digest and member.findings == ["not-expanded-quine"]
    (container,) = result.containers
    assert any("recursive archive" in p and member.provenance in p for p in container.problems)
    assert result.written == len(quine) and len(_files(jail)) == 1

    wrapped = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(wrapped, "w") as archive:
        archive.writestr("inner/quine.gz", quine)
    nested = expand(wrapped, "zip", "wrapped.zip", out / "z")
    assert [m.findings for m in nested.members] == [[], ["not-expanded-quine"]]
    assert nested.members[1].provenance == "wrapped.zip -> inner/quine.gz -> quine"
    assert nested.written == 2 * len(quine)

    inner = os.urandom(5000) * 40
    twice = tmp_path / "twice.gz.gz"
    twice.write_bytes(gzip.compress(gzip.compress(inner)))
    layers = expand(twice, "gzip", "twice.gz.gz", out / "t")
    assert [m.provenance for m in layers.members] == ["twice.gz.gz -> twice.gz",
                                                      "twice.gz.gz -> twice.gz -> twice"]
    assert layers.members[1].sha256 == hashlib.sha256(inner).hexdigest()


def test_zip_quine_is_a_recursive_archive(tmp_path: Path) -> None:
    """A zip whose one member r.zip is the zip itself, byte for byte (Cox's construction,
    built here; Python's zipfile, unzip and bsdtar agree) ends at once with a "recursive
    archive" record, its bytes written once and nothing outside the output folder; given
    without its own hash it is opened once more and caught one level down."""
    import hashlib
    import io
    import shutil
    import subprocess
    import time
    import zipfile

    from lccu.testing.quine import zip_quine

    quine = zip_quine()
    path = tmp_path / "r.zip"
    path.write_bytes(quine)
    with zipfile.ZipFile(io.BytesIO(quine)) as archive:
        assert archive.namelist() == ["r.zip"] and archive.testzip() is None
        assert archive.getinfo("r.zip").compress_type == zipfile.ZIP_DEFLATED
        assert archive.read("r.zip") == quine
    for tool in (["unzip", "-p"], ["bsdtar", "-xOf"]):
        if shutil.which(tool[0]):
            assert subprocess.run([*tool, str(path)], capture_output=True, check=True,
                                  timeout=30).stdout == quine, tool
    digest = hashlib.sha256(quine).hexdigest()
    jail, out = _jail(tmp_path)
    started = time.monotonic()
    result = expand(path, "zip", "r.zip", out / "q", sha256=digest)
    assert time.monotonic() - started < 10
    (member,) = result.members
    assert member.provenance == "r.zip -> r.zip"
    assert member.sha256 == digest and member.findings == ["not-expanded-quine"]
    (container,) = result.containers
    assert any("recursive archive" in p and member.provenance in p for p in container.problems)
    assert result.written == len(quine)
    written = _files(jail)
    assert len(written) == 1 and all(out in p.parents for p in written)

    again = expand(path, "zip", "r.zip", out / "again")
    assert [m.findings for m in again.members] == [[], ["not-expanded-quine"]]
    assert again.members[1].provenance == "r.zip -> r.zip -> r.zip"
    assert again.written == 2 * len(quine)
    assert all(out in p.parents for p in _files(jail))


@pytest.mark.parametrize("fmt", ["gzip", "bzip2", "xz"])
def test_bare_stream_bomb_stopped_in_bounded_memory(fmt: str, tmp_path: Path) -> None:
    """A bare compressed stream of 64 MiB of zeros (no tar inside) stops at the ratio limit
    without ever holding much of it: Python's decompressors hand out 1 MiB at a time."""
    import bz2
    import lzma
    import tracemalloc

    compress = {"gzip": __import__("gzip").compress, "bzip2": bz2.compress,
                "xz": lzma.compress}[fmt]
    path = tmp_path / f"zeros.{fmt}"
    path.write_bytes(compress(bytes(64 * MIB)))
    tracemalloc.start()
    try:
        result = expand(path, fmt, path.name, tmp_path / "out",
                        limits=ExpansionLimits(max_ratio=100))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (member,) = result.members
    assert member.findings == ["stopped-ratio"] and member.stored is None
    assert peak < 16 * MIB
