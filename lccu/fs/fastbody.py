"""The bodyfile lines of a volume whose file system stores UTC and is not NTFS (ext2/3/4,
HFS+, APFS...), straight from The Sleuth Kit's records to text.

:func:`lccu.fs.walk.walk` builds a :class:`~lccu.fs.walk.FileEntry` with its
:class:`~lccu.fs.times.FsTime` objects per name, which a bodyfile does not need (whole
seconds, no kind, no resolution): on a disk of 500,000 files that was most of the run
(``docs/benchmarks.md``). Here each name costs the pytsk3 attribute reads its line needs and
one formatted string. Same walk as :func:`~lccu.fs.walk.walk` (depth first, directory
order, each directory entered once, :data:`~lccu.fs.walk.MAX_DEPTH`, problems recorded and
the time budget checked), same lines as :mod:`lccu.timeline.bodyfile`; the tests compare
both with ``fls -m``. FAT, exFAT, ISO 9660 (local times read from their directory entries)
and NTFS (one line per stream, ``$FILE_NAME`` lines) keep the full walk.

Two engines give these lines. Where the optional C extension ``lccu.fs._tskbody`` was built
(``setup.py``; needs Debian's ``libtsk-dev`` at install), the walk runs in C over libtsk,
the image still read through lccu's own reader (:meth:`TskImage.read`, called back from
TSK's image layer): several times faster, since a name no longer costs pytsk3 objects
(``docs/benchmarks.md``, Timeline). Without it, or when libtsk cannot open a file system
pytsk3 opened, the same walk runs in Python over pytsk3. :func:`engine` says which.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from functools import lru_cache

import pytsk3

from lccu.fs.problems import OutOfTime, Problem
from lccu.fs.volume_times import stores_local
from lccu.fs.volumes import _FS_NAMES, Volume, open_volume_fs
from lccu.fs.walk import _NAME_LETTERS, _TYPE_LETTERS, MAX_DEPTH, Budget, _first_line
from lccu.imaging.tsk import TskImage

try:  # the optional C walk (setup.py); absent where libtsk-dev was not there at install
    from lccu.fs import _tskbody  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the installation
    _tskbody = None

_DIRS = {int(pytsk3.TSK_FS_META_TYPE_DIR), int(pytsk3.TSK_FS_META_TYPE_VIRT_DIR)}
_LNK = int(pytsk3.TSK_FS_META_TYPE_LNK)
_NAME_UNALLOC = int(pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
_META_ALLOC = int(pytsk3.TSK_FS_META_FLAG_ALLOC)
_CONTROLS = str.maketrans({code: "^" for code in range(0x20)})
_M32 = 0xFFFFFFFF
#: entries between two looks at the clock (a look is a system call)
_CHECK_EVERY = 512


def fast_volume(fs_type: str | None) -> bool:
    """Whether :func:`volume_lines` gives this file system's bodyfile."""
    return bool(fs_type) and fs_type != "ntfs" and not stores_local(fs_type)


@lru_cache(maxsize=4096)
def _mode(meta_letter: str, mode: int) -> str:
    return meta_letter + stat.filemode(mode & 0o7777)[1:]


def _text(raw: object) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class _Stop(Exception):
    pass


PYTSK3 = "pytsk3"
_FS_CODES = {name: code for code, name in _FS_NAMES.items()}


def _direct_fd(img: TskImage) -> int:
    """The descriptor the C walk may ``pread`` itself (a raw image in one local file), or -1:
    read through ``img.read``."""
    fd = img.direct_fd()
    return -1 if fd is None else fd


def engine() -> str:
    """The engine :func:`volume_lines` tries first: ``libtsk <version> (C)`` where the
    extension was built, else ``pytsk3``."""
    return f"libtsk {_tskbody.TSK_VERSION} (C)" if _tskbody is not None else PYTSK3


def volume_lines(
    img: TskImage,
    volume: Volume,
    write: Callable[[str], object],
    problems: list[Problem],
    budget: Budget | None = None,
    *,
    use_c: bool = True,
) -> tuple[int, str]:
    """Write the volume's bodyfile lines with ``write`` (whole lines, each ending in a
    newline, one or many per call); returns how many lines and the engine that wrote them
    (:func:`engine`, or ``pytsk3``). A budget that runs out stops the walk with an
    :class:`OutOfTime` problem. ``use_c=False`` forces the pytsk3 walk (tests compare both).
    Raises :class:`FileSystemError` when no engine can open the file system."""
    code = _FS_CODES.get(volume.fs_type or "")
    if use_c and _tskbody is not None and code is not None:
        c_problems: list[Problem] = []
        try:
            written, stopped = _tskbody.volume_lines(
                read=img.read,
                size=img.size,
                offset=volume.start_offset,
                ftype=code,
                volume=volume.index,
                write=write,
                problem=lambda where, message: c_problems.append(Problem(where, message)),
                over=budget.over if budget is not None else None,
                max_depth=MAX_DEPTH,
                fd=_direct_fd(img),
            )
        except _tskbody.OpenError:
            pass  # libtsk could not open what pytsk3 did (nothing written): pytsk3 walks it
        else:
            problems.extend(c_problems)
            if stopped:
                assert budget is not None
                problems.append(_out_of_time(volume, budget, written))
            return written, engine()
    fs = open_volume_fs(img, volume)
    return _pytsk3_lines(fs, volume, write, problems, budget), PYTSK3


def _out_of_time(volume: Volume, budget: Budget, written: int) -> OutOfTime:
    return OutOfTime(
        f"volume {volume.index}",
        f"listing stopped after {budget.spent():.1f} s (time budget {budget.seconds:g} s, "
        f"LCCU_FS_BUDGET_SECONDS): partial, {written} lines of this volume written; a "
        "corrupt file system can keep The Sleuth Kit busy for a long time",
    )


def _pytsk3_lines(
    fs: pytsk3.FS_Info,
    volume: Volume,
    write: Callable[[str], object],
    problems: list[Problem],
    budget: Budget | None = None,
) -> int:
    root = int(fs.info.root_inum)
    visited = {root}
    stack: list[tuple[int, str, str, int]] = [(root, "", "", 0)]  # inode, path, shown, depth
    written = 0
    try:
        while stack:
            inode, path, shown, depth = stack.pop()
            if budget is not None and budget.over():
                raise _Stop
            children: list[tuple[int, str, str, int]] = []
            written += _directory(
                fs, volume, inode, path, shown, depth, write, problems, budget, visited, children
            )
            stack.extend(reversed(children))
    except _Stop:
        assert budget is not None
        problems.append(_out_of_time(volume, budget, written))
    return written


def _directory(
    fs: pytsk3.FS_Info,
    volume: Volume,
    inode: int,
    path: str,
    shown: str,
    depth: int,
    write: Callable[[str], object],
    problems: list[Problem],
    budget: Budget | None,
    visited: set[int],
    children: list[tuple[int, str, str, int]],
) -> int:
    where = f"volume {volume.index}:{path or '/'} (inode {inode})"
    try:
        iterator = iter(fs.open_dir(inode=inode))
    except (OSError, RuntimeError) as exc:
        problems.append(Problem(where, f"cannot open directory: {_first_line(exc)}"))
        return 0
    written = 0
    names, metas = _NAME_LETTERS, _TYPE_LETTERS
    while True:
        if budget is not None and not written % _CHECK_EVERY and budget.over():
            raise _Stop
        try:
            tsk_file = next(iterator)
        except StopIteration:
            return written
        except (OSError, RuntimeError) as exc:
            problems.append(Problem(where, f"directory listing stopped: {_first_line(exc)}"))
            return written
        try:
            info = tsk_file.info
            name_info = info.name
            raw = name_info.name
            if raw in (b".", b".."):
                continue
            name = _text(raw)
            meta = info.meta
            meta_addr = int(name_info.meta_addr)
            if meta is None and meta_addr:
                try:  # orphan and some deleted names come without metadata: load it, as fls
                    meta = fs.open_meta(inode=meta_addr).info.meta
                except (OSError, RuntimeError):
                    meta = None
            name_letter = names.get(int(name_info.type), "-")
            allocated = not int(name_info.flags) & _NAME_UNALLOC
            child = f"{path}/{name}"
            child_shown = f"{shown}/{name.translate(_CONTROLS)}"
            line_name = child_shown
            if meta is None:
                if not allocated:
                    line_name += " (deleted)"
                write(f"0|{line_name}|{meta_addr}|{name_letter}/----------|0|0|0|0|0|0|0\n")
                written += 1
                continue
            meta_type = int(meta.type)
            if meta_type == _LNK:
                link = meta.link
                if link:
                    line_name += f" -> {_text(link)}"
            if not allocated:
                line_name += " (deleted-realloc)" if int(meta.flags) & _META_ALLOC else " (deleted)"
            write(
                f"0|{line_name}|{meta_addr}|{name_letter}/"
                f"{_mode(metas.get(meta_type, '-'), int(meta.mode))}|{meta.uid}|{meta.gid}|"
                f"{meta.size}|{meta.atime & _M32}|{meta.mtime & _M32}|{meta.ctime & _M32}|"
                f"{meta.crtime & _M32}\n"
            )
            written += 1
        except (OSError, RuntimeError, UnicodeError, ValueError) as exc:
            problems.append(Problem(where, f"unreadable entry skipped: {_first_line(exc)}"))
            continue
        if meta_type not in _DIRS:
            continue
        if meta_addr in visited:
            problems.append(
                Problem(
                    f"volume {volume.index}:{child}",
                    f"directory inode {meta_addr} already listed; not entered again",
                )
            )
            continue
        if depth + 1 > MAX_DEPTH:
            problems.append(
                Problem(
                    f"volume {volume.index}:{child}", f"deeper than {MAX_DEPTH} levels; not entered"
                )
            )
            continue
        visited.add(meta_addr)
        children.append((meta_addr, child, child_shown, depth + 1))
