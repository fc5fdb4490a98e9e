"""The bodyfile of UTC, non-NTFS volumes written straight from TSK's records
(lccu.fs.fastbody), by both engines (the C walk over libtsk and the pytsk3 walk): the same
lines, in the same order, as the full walk gives, and the same time budget; the fls
comparison in test_timeline_cli.py covers it against fls."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from lccu.fs import Budget, OutOfTime, Problem, list_volumes, walk
from lccu.fs.fastbody import PYTSK3, engine, fast_volume, volume_lines
from lccu.imaging.tsk import TskImage
from lccu.timeline.bodyfile import bodyfile_lines

pytestmark = pytest.mark.timeout(120)
ENGINES = pytest.mark.parametrize("use_c", [True, False], ids=["libtsk-c", "pytsk3"])


def lines_of(chunks: list[str]) -> list[str]:
    """The lines ``write`` received (the C walk hands over many lines per call)."""
    text = "".join(chunks)
    assert text == "" or text.endswith("\n"), "a write ended mid-line"
    return text.splitlines()


def expect_engine(use_c: bool, used: str) -> None:
    if use_c:
        assert used == engine() != PYTSK3, (
            "the C walk (lccu.fs._tskbody) is not built: apt-get install libtsk-dev, then "
            "pip install -e . (scripts/install.sh does both), or in a worktree "
            "python scripts/build_ext.py"
        )
    else:
        assert used == PYTSK3


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """ext4 with 6,000 files in 12 directories, a symlink, a name with a control
    character, and one deleted file and one deleted directory (debugfs)."""
    tree = tmp_path / "tree"
    for d in range(12):
        (tree / f"d{d:02d}").mkdir(parents=True)
        for i in range(500):
            (tree / f"d{d:02d}" / f"f{i}").write_bytes(b"x" * (i % 7))
    (tree / "d00" / "link").symlink_to("../d01/f1")
    (tree / "d00" / "bell\x07name").touch()
    (tree / "gone").mkdir()
    (tree / "gone" / "inside").write_bytes(b"data")
    path = tmp_path / "many.img"
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-N", "8000", "-d", str(tree), str(path), "32M"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        ["debugfs", "-w", "-R", "rm /d03/f7", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        ["debugfs", "-w", "-f", "-", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
        input=b"rm /gone/inside\nrmdir /gone\n",
    )
    return path


@ENGINES
def test_fast_lines_equal_the_full_walk_in_order(many: Path, open_image, use_c: bool) -> None:
    """Every line, in order, equals the full walk's bodyfile line (deleted names, the
    symlink target, the control character as ^ included), whichever engine wrote it."""
    img = open_image(many)
    [volume] = list_volumes(img)
    assert fast_volume(volume.fs_type) and not fast_volume("ntfs")
    assert not fast_volume("fat32") and not fast_volume("exfat") and not fast_volume(None)
    full = [line for entry in walk(img, volume, runs=False) for line in bodyfile_lines(entry, None)]
    chunks: list[str] = []
    problems: list[Problem] = []
    count, used = volume_lines(img, volume, chunks.append, problems, use_c=use_c)
    expect_engine(use_c, used)
    fast = lines_of(chunks)
    assert count == len(fast) == len(full) > 6000
    assert fast == full
    assert not problems
    assert any("|/d00/link -> ../d01/f1|" in line for line in fast)
    assert any("/bell^name|" in line for line in fast)
    assert any("/d03/f7 (deleted" in line for line in fast)


@ENGINES
def test_fast_lines_keep_the_time_budget(many: Path, open_image, use_c: bool) -> None:
    """A budget that runs out stops the lines with an OutOfTime problem; what was written is
    the start of the full listing."""
    img = open_image(many)
    [volume] = list_volumes(img)
    chunks: list[str] = []
    volume_lines(img, volume, chunks.append, [], use_c=use_c)
    full = lines_of(chunks)
    chunks = []
    problems: list[Problem] = []
    count, used = volume_lines(img, volume, chunks.append, problems, Budget(0.0), use_c=use_c)
    expect_engine(use_c, used)
    partial = lines_of(chunks)
    assert count == len(partial) < len(full) and partial == full[: len(partial)]
    [stopped] = [p for p in problems if isinstance(p, OutOfTime)]
    assert f"partial, {len(partial)} lines of this volume written" in stopped.message


@pytest.fixture
def orphans(tmp_path: Path) -> Path:
    """ext4 with a deleted file whose name survives (/keep/b), a deleted directory (/gone)
    and an orphan: the deleted directory's block zeroed, so /gone/inside has no name left
    and TSK lists it as $OrphanFiles/OrphanFile-13."""
    tree = tmp_path / "tree"
    (tree / "gone").mkdir(parents=True)
    (tree / "keep").mkdir()
    (tree / "gone" / "inside").write_bytes(b"data\n")
    (tree / "keep" / "a").write_bytes(b"x\n")
    (tree / "keep" / "b").write_bytes(b"y\n")
    path = tmp_path / "orphans.img"
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-N", "200", "-d", str(tree), str(path), "8M"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    block = subprocess.run(
        ["debugfs", "-R", "bmap /gone 0", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    script = f"rm /gone/inside\nrmdir /gone\nzap_block {int(block)}\nrm /keep/b\n"
    subprocess.run(
        ["debugfs", "-w", "-f", "-", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
        input=script.encode(),
    )
    return path


def fls_lines(image: Path) -> list[str]:
    fls = shutil.which("fls")
    assert fls, "fls is needed (apt-get install sleuthkit)"
    out = subprocess.run(
        [fls, "-m", "/", "-r", str(image)], check=True, capture_output=True, timeout=120
    ).stdout
    return out.decode("utf-8", "replace").splitlines()


def test_c_walk_lists_orphans_like_fls(orphans: Path, open_image) -> None:
    """With deleted names and a real orphan, the C walk (which hands TSK the deleted names
    it met before the orphan search) gives fls's lines: the orphan once, and no named
    deleted file wrongly listed as an orphan; and the pytsk3 walk's lines in order."""
    img = open_image(orphans)
    [volume] = list_volumes(img)
    chunks: list[str] = []
    _count, used = volume_lines(img, volume, chunks.append, [])
    expect_engine(True, used)
    ours = lines_of(chunks)
    assert sorted(ours) == sorted(fls_lines(orphans))
    assert [line for line in ours if "OrphanFile-" in line] == [
        line for line in ours if line.startswith("0|/$OrphanFiles/OrphanFile-13 (deleted)|13|")
    ]
    assert any(line.startswith("0|/keep/b (deleted)|16|") for line in ours)
    slow: list[str] = []
    volume_lines(img, volume, slow.append, [], use_c=False)
    assert ours == lines_of(slow)


class CountingStream(io.BytesIO):
    """An image held in memory (no file TSK could open by name), counting reads."""

    reads = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads += 1
        return super().read(size)


def test_c_walk_reads_through_lccu_reader(many: Path) -> None:
    """The C walk reads the image only through lccu's reader (here an in-memory stream
    TSK cannot open by itself), and gives the same lines as from the file."""
    stream = CountingStream(many.read_bytes())
    img = TskImage(stream, name="in-memory")
    [volume] = list_volumes(img)
    before = stream.reads
    chunks: list[str] = []
    count, used = volume_lines(img, volume, chunks.append, [])
    expect_engine(True, used)
    assert stream.reads > before
    with many.open("rb") as fh:
        from_file: list[str] = []
        volume_lines(TskImage(fh, name=many.name), volume, from_file.append, [])
    assert lines_of(chunks) == lines_of(from_file) and count > 6000


class FailingStream(io.BytesIO):
    """Reads fail after the first ``good`` ones, as after a lost S3 connection."""

    def __init__(self, data: bytes, good: int) -> None:
        super().__init__(data)
        self.good = good

    def read(self, size: int | None = -1, /) -> bytes:
        self.good -= 1
        if self.good < 0:
            raise OSError(5, "Input/output error (test)")
        return super().read(size)


def test_c_walk_records_read_errors(many: Path) -> None:
    """Read errors of the evidence in the middle of the walk become problems naming the
    directory TSK could not read; the walk ends normally with fewer lines, and nothing is
    listed twice."""
    data = many.read_bytes()
    whole = CountingStream(data)
    img = TskImage(whole, name="whole")
    [volume] = list_volumes(img)
    before = whole.reads
    volume_lines(img, volume, [].append, [])
    walk_reads = whole.reads - before
    assert walk_reads > 4
    failing = TskImage(FailingStream(data, good=0), name="failing")
    [volume] = list_volumes(img)
    failing._stream.good = before + walk_reads // 2  # type: ignore[attr-defined]
    chunks: list[str] = []
    problems: list[Problem] = []
    count, used = volume_lines(failing, volume, chunks.append, problems)
    expect_engine(True, used)
    lines = lines_of(chunks)
    assert count == len(lines) < 6000 and len(set(lines)) == len(lines)
    assert problems and all(p.where.startswith("volume 0:/") for p in problems)
    assert any("cannot open directory" in p.message for p in problems)


def test_c_walk_write_errors_propagate(many: Path, open_image) -> None:
    """A failing output (disk full) stops the C walk with that error; the pytsk3 walk is not
    started behind it (no line would be written twice)."""
    img = open_image(many)
    [volume] = list_volumes(img)
    calls: list[int] = []

    def full(text: str) -> None:
        calls.append(len(text))
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        volume_lines(img, volume, full, [])
    assert len(calls) == 1


def test_c_walk_stops_mid_walk_on_budget(many: Path, open_image) -> None:
    """A budget running out after a few looks stops the C walk part way, between two
    directories or every 512 lines: a non-empty start of the full listing and an
    OutOfTime problem with its count."""
    img = open_image(many)
    [volume] = list_volumes(img)
    chunks: list[str] = []
    volume_lines(img, volume, chunks.append, [])
    full = lines_of(chunks)

    class AfterLooks(Budget):
        looks = 0

        def over(self) -> bool:
            self.looks += 1
            return self.looks > 4

    chunks = []
    problems: list[Problem] = []
    count, used = volume_lines(img, volume, chunks.append, problems, AfterLooks(1e9))
    expect_engine(True, used)
    partial = lines_of(chunks)
    assert 0 < count == len(partial) < len(full) and partial == full[:count]
    [stopped] = [p for p in problems if isinstance(p, OutOfTime)]
    assert f"partial, {count} lines of this volume written" in stopped.message


def test_without_the_extension_the_pytsk3_walk_writes(
    many: Path, open_image, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the C extension was not built (no libtsk-dev at install), the same lines come
    from the pytsk3 walk, and engine() says so."""
    from lccu.fs import fastbody

    img = open_image(many)
    [volume] = list_volumes(img)
    with_c: list[str] = []
    volume_lines(img, volume, with_c.append, [])
    monkeypatch.setattr(fastbody, "_tskbody", None)
    assert engine() == PYTSK3
    without: list[str] = []
    count, used = volume_lines(img, volume, without.append, [])
    assert used == PYTSK3 and lines_of(without) == lines_of(with_c) and count > 6000


class CountingTskImage(TskImage):
    """Counts the reads TSK makes through lccu's reader (the Python callback)."""

    calls = 0

    def read(self, offset: int, length: int) -> bytes:
        self.calls += 1
        return super().read(offset, length)


def test_c_walk_reads_a_local_raw_image_itself(many: Path, tmp_path: Path) -> None:
    """A raw image in one local file is read by the C walk with pread on the descriptor lccu
    opened read-only (no Python call per TSK read), with the same lines as through the
    reader; a split image (two files) is only ever read through the reader."""
    from lccu.imaging import open_image as open_evidence

    with open_evidence(many) as stream:
        img = CountingTskImage(stream, stream.size, name=many.name)
        assert img.direct_fd() is not None
        [volume] = list_volumes(img)
        before = img.calls
        chunks: list[str] = []
        count, used = volume_lines(img, volume, chunks.append, [])
        expect_engine(True, used)
        assert img.calls == before, "TSK's reads went through Python"
    assert img.direct_fd() is None  # closed stream: nothing to read directly
    through_reader = CountingStream(many.read_bytes())
    reference: list[str] = []
    volume_lines(TskImage(through_reader, name="in-memory"), volume, reference.append, [])
    assert lines_of(chunks) == lines_of(reference) and count > 6000

    data = many.read_bytes()
    half = len(data) // 2 // 512 * 512
    (tmp_path / "split.001").write_bytes(data[:half])
    (tmp_path / "split.002").write_bytes(data[half:])
    with open_evidence(tmp_path / "split.001") as stream:
        img = CountingTskImage(stream, stream.size, name="split")
        assert stream.size == len(data) and img.direct_fd() is None
        [volume] = list_volumes(img)
        before = img.calls
        split_lines: list[str] = []
        volume_lines(img, volume, split_lines.append, [])
        assert img.calls > before
    assert lines_of(split_lines) == lines_of(reference)
