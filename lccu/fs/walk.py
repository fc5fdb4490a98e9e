"""Recursive listing of one volume, allocated and deleted entries, like ``fls -r -p``.

What is listed (and why): every name TSK returns for a directory except ``.`` and ``..``,
including deleted names (``allocated=False``) and TSK's virtual entries (``$OrphanFiles``
and its ``OrphanFile-N`` children; ``$MBR``/``$FAT1``/``$FAT2`` on FAT), because ``fls``
lists them too and analysts compare against it. Directories are entered once per volume
(visited set of directory meta addresses), which stops loops in corrupt file systems;
unreadable directories and entries become :class:`~lccu.fs.problems.Problem` records.

A :class:`Budget` bounds a walk in wall-clock time, checked between TSK calls (Python cannot
interrupt one: a corrupt ext2 inode claiming 4 GiB keeps TSK busy 15-80 s in a single call).
When it runs out the walk stops with an :class:`~lccu.fs.problems.OutOfTime` problem; the
overrun is at most one TSK call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytsk3

from lccu.fs.ntfs_times import (
    FileNameTimes,
    choose_file_name,
    parse_standard_information,
    stomp_reason,
)
from lccu.fs.problems import OutOfTime, Problem
from lccu.fs.times import NO_TIMES, FileTimes, FsTime
from lccu.fs.volume_times import VolumeTimes
from lccu.fs.volumes import Volume, open_volume_fs
from lccu.imaging.tsk import TskImage

_T = pytsk3
_TYPE_LETTERS: dict[int, str] = {
    int(_T.TSK_FS_META_TYPE_UNDEF): "-",
    int(_T.TSK_FS_META_TYPE_REG): "r",
    int(_T.TSK_FS_META_TYPE_DIR): "d",
    int(_T.TSK_FS_META_TYPE_FIFO): "p",
    int(_T.TSK_FS_META_TYPE_CHR): "c",
    int(_T.TSK_FS_META_TYPE_BLK): "b",
    int(_T.TSK_FS_META_TYPE_LNK): "l",
    int(_T.TSK_FS_META_TYPE_SHAD): "h",
    int(_T.TSK_FS_META_TYPE_SOCK): "s",
    int(_T.TSK_FS_META_TYPE_WHT): "w",
    int(_T.TSK_FS_META_TYPE_VIRT): "v",
    int(_T.TSK_FS_META_TYPE_VIRT_DIR): "V",
}
_NAME_LETTERS: dict[int, str] = {
    int(_T.TSK_FS_NAME_TYPE_UNDEF): "-",
    int(_T.TSK_FS_NAME_TYPE_REG): "r",
    int(_T.TSK_FS_NAME_TYPE_DIR): "d",
    int(_T.TSK_FS_NAME_TYPE_FIFO): "p",
    int(_T.TSK_FS_NAME_TYPE_CHR): "c",
    int(_T.TSK_FS_NAME_TYPE_BLK): "b",
    int(_T.TSK_FS_NAME_TYPE_LNK): "l",
    int(_T.TSK_FS_NAME_TYPE_SHAD): "h",
    int(_T.TSK_FS_NAME_TYPE_SOCK): "s",
    int(_T.TSK_FS_NAME_TYPE_WHT): "w",
    int(_T.TSK_FS_NAME_TYPE_VIRT): "v",
    int(_T.TSK_FS_NAME_TYPE_VIRT_DIR): "V",
}
_KINDS = {"r": "file", "d": "dir", "V": "dir", "l": "link"}
_DIR_META = {int(_T.TSK_FS_META_TYPE_DIR), int(_T.TSK_FS_META_TYPE_VIRT_DIR)}
_DATA_ATTR_TYPES = {
    int(_T.TSK_FS_ATTR_TYPE_DEFAULT),
    int(_T.TSK_FS_ATTR_TYPE_NTFS_DATA),
    int(_T.TSK_FS_ATTR_TYPE_HFS_DATA),
}
_NONRES = int(_T.TSK_FS_ATTR_NONRES)
_RUN_SKIP = int(_T.TSK_FS_ATTR_RUN_FLAG_SPARSE) | int(_T.TSK_FS_ATTR_RUN_FLAG_FILLER)
_NAME_UNALLOC = int(_T.TSK_FS_NAME_FLAG_UNALLOC)
_NTFS = int(_T.TSK_FS_TYPE_NTFS)
_NTFS_DATA = int(_T.TSK_FS_ATTR_TYPE_NTFS_DATA)
_NTFS_IDXROOT = int(_T.TSK_FS_ATTR_TYPE_NTFS_IDXROOT)
_NTFS_FNAME = int(_T.TSK_FS_ATTR_TYPE_NTFS_FNAME)
_NTFS_SI = int(_T.TSK_FS_ATTR_TYPE_NTFS_SI)
_META_ALLOC = int(_T.TSK_FS_META_FLAG_ALLOC)
_META_LNK = int(_T.TSK_FS_META_TYPE_LNK)
MAX_DEPTH = 256  # deeper trees are almost certainly corrupt; TSK's own limit is 128


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One name in a volume's directory tree.

    ``path`` is absolute within the volume (``/a_directory/a_file``); ``inode`` is the
    meta address the name points to; ``has_meta`` is False when TSK found no metadata
    for it (deleted names whose link was wiped show inode 0 — but NTFS's $MFT really is 0);
    ``allocated`` is False when the name is unallocated (deleted; fls's ``*``);
    ``type_code`` is fls's ``name/meta`` type pair (``r/r``, ``-/r``, ``V/V``);
    ``times`` are the metadata's times with their kind and resolution
    (:mod:`lccu.fs.times`); ``image_runs`` are ``(absolute image offset, length)`` byte
    ranges of the default data stream, empty when resident or unknown (or not asked for).

    The rest is what a bodyfile line needs: ``mode`` (permission bits), ``uid``, ``gid``,
    ``link`` (a symlink's target), ``meta_allocated`` (the metadata is in use: a deleted
    name whose inode is reused is ``deleted-realloc``); on NTFS ``ntfs_attr`` is the
    ``(type, id, size)`` of the attribute this entry stands for, ``file_name`` the
    ``$FILE_NAME`` times, ``timestomp`` why $SI and $FN disagree, and ``primary`` marks the
    first entry of a name (the one its ``$FILE_NAME`` line goes with).
    """

    volume: int
    path: str
    name: str
    inode: int
    size: int
    allocated: bool
    kind: str
    type_code: str
    times: FileTimes = NO_TIMES
    image_runs: list[tuple[int, int]] = field(default_factory=list)
    has_meta: bool = True
    stream: str | None = None
    attr_type: int | None = None
    attr_id: int | None = None
    mode: int = 0
    uid: int = 0
    gid: int = 0
    link: str | None = None
    meta_allocated: bool = False
    ntfs_attr: tuple[int, int, int] | None = None
    file_name: FileNameTimes | None = None
    timestomp: str | None = None
    primary: bool = True

    @property
    def name_path(self) -> str:
        """The path of the name itself, without a ``:stream`` suffix."""
        return self.path[: -len(self.stream) - 1] if self.stream else self.path

    @property
    def mtime(self) -> FsTime | None:
        return self.times.mtime

    @property
    def atime(self) -> FsTime | None:
        return self.times.atime

    @property
    def ctime(self) -> FsTime | None:
        return self.times.ctime

    @property
    def crtime(self) -> FsTime | None:
        return self.times.crtime


@dataclass
class Budget:
    """Wall-clock seconds a listing may take, from when it was made; shared by the walks of
    every volume of one image (a volume reached after it ran out is not listed)."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def spent(self) -> float:
        return time.monotonic() - self.started

    def over(self) -> bool:
        return self.spent() > self.seconds


def listing_budget(seconds: float | None = None) -> Budget:
    """A budget for listing one image's file systems, starting now: ``seconds``, else
    ``LCCU_FS_BUDGET_SECONDS`` (default 1800; 0 means none)."""
    if seconds is None:
        from lccu.config import current_settings

        seconds = current_settings().fs_budget_seconds
    return Budget(seconds if seconds > 0 else math.inf)


class _Stopped(Exception):
    """Raised between TSK calls when the budget ran out."""


def walk(
    img: TskImage,
    volume: Volume,
    errors: list[Problem] | None = None,
    fs: pytsk3.FS_Info | None = None,
    budget: Budget | None = None,
    *,
    runs: bool = True,
) -> Iterator[FileEntry]:
    """Yield every entry of ``volume`` depth-first; problems go to ``errors``, not up.

    With a ``budget``, the walk stops when it has run out (checked before each TSK call)
    and says so in ``errors`` with an :class:`OutOfTime` problem: the listing is partial.
    ``runs=False`` skips the data runs (a timeline needs none; it saves a pass over each
    file's attributes). Raises :class:`FileSystemError` only if the volume's file system
    cannot be opened at all.
    """
    problems = errors if errors is not None else []
    listed = 0
    try:
        for entry in _walk(img, volume, problems, fs, budget, runs):
            listed += 1
            yield entry
    except _Stopped:
        assert budget is not None
        problems.append(
            OutOfTime(
                f"volume {volume.index}",
                f"listing stopped after {budget.spent():.1f} s (time budget {budget.seconds:g} s, "
                f"LCCU_FS_BUDGET_SECONDS): partial, {listed} entries of this volume listed; a "
                "corrupt file system can keep The Sleuth Kit busy for a long time",
            )
        )


@dataclass
class _Volume:
    """What listing one volume needs at every entry."""

    fs: pytsk3.FS_Info
    volume: Volume
    block_size: int
    image_size: int
    times: VolumeTimes
    ntfs: bool
    runs: bool


def _walk(
    img: TskImage,
    volume: Volume,
    problems: list[Problem],
    fs: pytsk3.FS_Info | None,
    budget: Budget | None,
    runs: bool = True,
) -> Iterator[FileEntry]:
    if budget is not None and budget.over():
        raise _Stopped
    if fs is None:
        fs = open_volume_fs(img, volume)
    ctx = _Volume(
        fs,
        volume,
        int(fs.info.block_size),
        img.get_size(),
        VolumeTimes(volume.fs_type or "", img.read, volume.start_offset),
        int(fs.info.ftype) == _NTFS,
        runs,
    )
    root = int(fs.info.root_inum)
    visited: set[int] = {root}
    stack: list[tuple[int, str, int]] = [(root, "", 0)]
    while stack:
        dir_inode, dir_path, depth = stack.pop()
        children: list[tuple[int, str, int]] = []
        for entry in _list_dir(ctx, dir_inode, dir_path, problems, budget):
            yield entry
            if entry.stream is not None:
                continue  # a named stream of a directory is data, not a listing
            if entry.kind != "dir" or not entry.has_meta or entry.inode in visited:
                if entry.kind == "dir" and entry.has_meta and entry.inode in visited:
                    problems.append(
                        Problem(
                            f"volume {volume.index}:{entry.path}",
                            f"directory inode {entry.inode} already listed; not entered again",
                        )
                    )
                continue
            if depth + 1 > MAX_DEPTH:
                problems.append(
                    Problem(
                        f"volume {volume.index}:{entry.path}",
                        f"deeper than {MAX_DEPTH} levels; not entered",
                    )
                )
                continue
            visited.add(entry.inode)
            children.append((entry.inode, entry.path, depth + 1))
        stack.extend(reversed(children))
    if ctx.times.fallbacks:
        problems.append(
            Problem(
                f"volume {volume.index}",
                f"{ctx.times.fallbacks} {volume.fs_type} directory entries could not be read "
                "directly; their local times were taken from The Sleuth Kit's conversion, "
                "exact unless they fall in an hour this machine's time zone skips or repeats",
            )
        )


def _list_dir(
    ctx: _Volume,
    inode: int,
    path: str,
    problems: list[Problem],
    budget: Budget | None = None,
) -> Iterator[FileEntry]:
    where = f"volume {ctx.volume.index}:{path or '/'} (inode {inode})"
    if budget is not None and budget.over():
        raise _Stopped
    try:
        directory = ctx.fs.open_dir(inode=inode)
    except (OSError, RuntimeError) as exc:
        problems.append(Problem(where, f"cannot open directory: {_first_line(exc)}"))
        return
    iterator = iter(directory)
    while True:
        if budget is not None and budget.over():
            raise _Stopped
        try:
            tsk_file = next(iterator)
        except StopIteration:
            return
        except (OSError, RuntimeError) as exc:
            problems.append(Problem(where, f"directory listing stopped: {_first_line(exc)}"))
            return
        try:
            entries = _entries(ctx, tsk_file, path)
        except (OSError, RuntimeError, UnicodeError, ValueError) as exc:
            problems.append(Problem(where, f"unreadable entry skipped: {_first_line(exc)}"))
            continue
        yield from entries


def _text(raw: object) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _entries(ctx: _Volume, tsk_file: pytsk3.File, parent: str) -> list[FileEntry]:
    """The entry for one name; on NTFS one per data stream / index root, as fls prints them."""
    info = tsk_file.info
    name = _text(info.name.name)
    if name in (".", ".."):
        return []
    meta = info.meta
    meta_addr = int(info.name.meta_addr)
    if meta is None and meta_addr:
        # Orphan and some deleted names come without loaded metadata; load it like fls.
        try:
            tsk_file = ctx.fs.open_meta(inode=meta_addr)
            meta = tsk_file.info.meta
        except (OSError, RuntimeError):
            meta = None
    name_letter = _NAME_LETTERS.get(int(info.name.type), "-")
    meta_letter = _TYPE_LETTERS.get(int(meta.type), "-") if meta is not None else "-"
    kind = _KINDS.get(meta_letter if meta is not None else name_letter, "other")
    allocated = not int(info.name.flags) & _NAME_UNALLOC
    type_code = f"{name_letter}/{meta_letter}"
    path = f"{parent}/{name}"
    if meta is None:
        return [
            FileEntry(
                ctx.volume.index,
                path,
                name,
                meta_addr,
                0,
                allocated,
                kind,
                type_code,
                has_meta=False,
            )
        ]
    link = _text(meta.link) if int(meta.type) == _META_LNK and meta.link else None
    file_name: FileNameTimes | None = None
    streams: list[_Stream] = []
    standard: FileTimes | None = None
    if ctx.ntfs:
        streams, file_name, standard = _ntfs_attributes(ctx, tsk_file)
    times = standard or ctx.times.times(meta, meta_addr, kind == "dir", path)
    stomp = stomp_reason(times, file_name.times) if file_name else None

    def make(
        size: int,
        runs: list[tuple[int, int]],
        stream: str | None = None,
        attr: tuple[int, int] | None = None,
        attr_size: int = 0,
        primary: bool = True,
    ) -> FileEntry:
        return FileEntry(
            ctx.volume.index,
            path + (f":{stream}" if stream else ""),
            name,
            meta_addr,
            size,
            allocated,
            kind,
            type_code,
            times=times,
            image_runs=runs,
            stream=stream,
            attr_type=attr[0] if attr and stream else None,
            attr_id=attr[1] if attr and stream else None,
            mode=int(meta.mode),
            uid=int(meta.uid),
            gid=int(meta.gid),
            link=link,
            meta_allocated=bool(int(meta.flags) & _META_ALLOC),
            ntfs_attr=(*attr, attr_size) if attr else None,
            file_name=file_name,
            timestomp=stomp,
            primary=primary,
        )

    if streams:
        return [
            make(size, runs, stream, attr, attr_size, i == 0)
            for i, (size, runs, stream, attr, attr_size) in enumerate(streams)
        ]
    wants_runs = ctx.runs and kind in ("file", "other")
    data = _data_attr(tsk_file) if wants_runs else None
    runs = _runs(data, ctx.volume, ctx.block_size, ctx.image_size) if data is not None else []
    return [make(int(meta.size), runs)]


_Stream = tuple[int, list[tuple[int, int]], str | None, tuple[int, int], int]


def _ntfs_attributes(
    ctx: _Volume, tsk_file: pytsk3.File
) -> tuple[list[_Stream], FileNameTimes | None, FileTimes | None]:
    """Per $DATA and index-root attribute (size for reading, runs, stream name, (type, id),
    attribute size), in MFT order; the $FILE_NAME times TSK reports; the
    $STANDARD_INFORMATION times as stored."""
    out: list[_Stream] = []
    names: list[tuple[int, int, bytes]] = []
    standard: FileTimes | None = None
    for attr in tsk_file:
        atype = int(attr.info.type)
        if atype == _NTFS_SI and standard is None:
            standard = parse_standard_information(
                tsk_file.read_random(0, 48, atype, int(attr.info.id))
            )
            continue
        if atype == _NTFS_FNAME:
            attr_id, size = int(attr.info.id), int(attr.info.size)
            content = tsk_file.read_random(0, min(size, 1024), atype, attr_id)
            names.append((attr_id, size, content))
            continue
        if atype not in (_NTFS_DATA, _NTFS_IDXROOT):
            continue
        stream = _text(attr.info.name) if attr.info.name else None
        if atype == _NTFS_IDXROOT and stream == "$I30":
            stream = None  # a directory's own index: the directory itself
        runs = (
            _runs(attr, ctx.volume, ctx.block_size, ctx.image_size)
            if atype == _NTFS_DATA and ctx.runs
            else []
        )
        ident = (atype, int(attr.info.id))
        if stream:
            out.append((int(attr.info.size), runs, stream, ident, int(attr.info.size)))
        else:  # the default stream: read like icat, without naming the attribute
            out.append((int(tsk_file.info.meta.size), runs, None, ident, int(attr.info.size)))
    return out, choose_file_name(names), standard


def _data_attr(tsk_file: pytsk3.File) -> pytsk3.Attribute | None:
    """The default (unnamed) data attribute, which icat and read_random read."""
    for attr in tsk_file:
        if int(attr.info.type) in _DATA_ATTR_TYPES and attr.info.name in (None, b""):
            return attr
    return None


def _runs(
    attr: pytsk3.Attribute, volume: Volume, block_size: int, image_size: int
) -> list[tuple[int, int]]:
    """Absolute byte ranges of a non-resident attribute, clipped to the image."""
    if not int(attr.info.flags) & _NONRES:
        return []
    runs: list[tuple[int, int]] = []
    for run in attr:
        if int(run.flags) & _RUN_SKIP or int(run.len) <= 0:
            continue
        start = volume.start_offset + int(run.addr) * block_size
        length = int(run.len) * block_size
        if start >= image_size:
            continue
        length = min(length, image_size - start)
        if runs and runs[-1][0] + runs[-1][1] == start:
            runs[-1] = (runs[-1][0], runs[-1][1] + length)
        else:
            runs.append((start, length))
    return runs


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
