"""Inputs an intake must refuse, made by the tools a unit uses (``ewfacquire``, ``split``,
``qemu-img``) from one small disk of random bytes, each with the words its refusal must
name (the missing segment, the container kind, what the path is instead of a file).

:func:`build_sources` makes the disk and its containers once (a module's fixture);
:func:`make_refusal` puts one refused input in a folder of its own: ``given`` are the paths
an examiner names to ``lccu evidence add`` (only the first of a series, the rest beside
it), ``sent`` the files an upload sends one after the other (what is there, in order).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lccu.testing.formats import run, tool

MIB = 1024 * 1024
#: the audit operation of an intake refused for what was handed in
REFUSED = "evidence.refused"
#: refused whichever way the input comes in (the command line, the library, an upload)
ANY_WAY = ("ewf_gap", "ewf_last", "ewf_order", "split_gap", "split_aa_gap", "vdi", "aff",
           "l01", "dmg", "gzip", "ewf_damaged", "empty", "mismatch")  # fmt: skip
#: only a local path can be these (an upload is bytes)
NOT_FILES = ("fifo", "chardev", "dir", "loop")


@dataclass(frozen=True)
class Sources:
    """A 3 MiB disk of random bytes and its containers: E01 segments (1 MiB each,
    uncompressed), split raw ``.001``... and ``aa``..., VDI and QCOW2."""

    raw: Path
    ewf: list[Path]
    split: list[Path]
    aa: list[Path]
    vdi: Path
    qcow2: Path


@dataclass(frozen=True)
class Refused:
    """One input an intake refuses: the paths named, the files an upload sends, the
    declared hashes, and the words the refusal's reason names."""

    given: list[Path]
    sent: list[Path]
    causes: tuple[str, ...]
    declared: dict[str, str] = field(default_factory=dict)


def build_sources(folder: Path) -> Sources:
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / "disk.raw"
    raw.write_bytes(random.Random(2026).randbytes(3 * MIB))
    for name in ("ewf", "split", "aa", "vm"):
        (folder / name).mkdir(exist_ok=True)
    run(tool("ewfacquire", "ewf-tools"), "-u", "-q", "-d", "sha1", "-c", "none", "-S",
        str(MIB), "-t", str(folder / "ewf" / "disk"), str(raw))  # fmt: skip
    run(tool("split", "coreutils"), "-b", str(MIB), "-d", "-a", "3", "--numeric-suffixes=1",
        str(raw), str(folder / "split" / "disk."))  # fmt: skip
    run(tool("split", "coreutils"), "-b", str(MIB), str(raw), str(folder / "aa" / "disk"))
    qemu = tool("qemu-img", "qemu-utils")
    for fmt in ("vdi", "qcow2"):
        run(qemu, "convert", "-q", "-f", "raw", "-O", fmt, str(raw),
            str(folder / "vm" / f"disk.{fmt}"))  # fmt: skip
    return Sources(raw, sorted((folder / "ewf").glob("disk.E*")),
                   sorted((folder / "split").iterdir()), sorted((folder / "aa").iterdir()),
                   folder / "vm" / "disk.vdi", folder / "vm" / "disk.qcow2")  # fmt: skip


def _copy(files: list[Path], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(path, folder / path.name)) for path in files]


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def make_refusal(kind: str, sources: Sources, folder: Path) -> Refused:
    """The input of refusal ``kind`` (:data:`ANY_WAY` or :data:`NOT_FILES`) in ``folder``."""
    noise = random.Random(kind).randbytes(64 * 1024)
    ewf, split, aa = sources.ewf, sources.split, sources.aa
    assert len(ewf) >= 3 and len(split) == 3 and len(aa) == 3, (ewf, split, aa)
    if kind == "ewf_gap":  # disk.E02 missing, disk.E03 beside disk.E01
        kept = _copy([ewf[0], *ewf[2:]], folder)
        return Refused([kept[0]], kept, (ewf[1].name,))
    if kind == "ewf_last":  # the last segment missing: the one before says more follow
        kept = _copy(ewf[:-1], folder)
        return Refused([kept[0]], kept, (ewf[-1].name,))
    if kind == "ewf_order":
        swapped = [ewf[0], ewf[2], ewf[1], *ewf[3:]]
        return Refused(swapped, swapped, ("out of order",))
    if kind == "split_gap":
        kept = _copy([split[0], split[2]], folder)
        return Refused([kept[0]], kept, (split[1].name,))
    if kind == "split_aa_gap":
        kept = _copy([aa[0], aa[2]], folder)
        return Refused([kept[0]], kept, (aa[1].name,))
    if kind == "vdi":
        return Refused([sources.vdi], [sources.vdi], ("disk.vdi", "VDI"))
    if kind == "aff":
        path = _write(folder / "disk.aff", b"AFF10\r\n\x00" + noise)
        return Refused([path], [path], ("disk.aff", "AFF"))
    if kind == "l01":
        path = _write(folder / "files.L01", b"LVF\x09\x0d\x0a\xff\x00" + noise)
        return Refused([path], [path], ("files.L01", "L01"))
    if kind == "dmg":
        path = _write(folder / "disk.dmg", noise + b"koly" + bytes(508))
        return Refused([path], [path], ("disk.dmg", "DMG"))
    if kind == "gzip":
        path = _write(folder / "disk.dd.gz", gzip.compress(noise))
        return Refused([path], [path], ("disk.dd.gz", "gzip"))
    if kind == "ewf_damaged":  # the middle segment cut in half: the set cannot be read
        kept = _copy(ewf, folder)
        data = kept[1].read_bytes()
        kept[1].write_bytes(data[: len(data) // 2])
        return Refused([kept[0]], kept, (ewf[0].name,))
    if kind == "empty":
        path = _write(folder / "empty.dd", b"")
        return Refused([path], [path], ("empty.dd", "empty"))
    if kind == "mismatch":
        return Refused(
            [sources.raw], [sources.raw], ("SHA256", "0" * 64), declared={"sha256": "0" * 64}
        )
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(folder / "fifo.img")
        return Refused([folder / "fifo.img"], [], ("fifo.img", "FIFO"))
    if kind == "chardev":
        return Refused([Path("/dev/zero")], [], ("/dev/zero", "character device"))
    if kind == "dir":
        (folder / "folder.img").mkdir()
        return Refused([folder / "folder.img"], [], ("folder.img", "directory"))
    if kind == "loop":
        (folder / "loop-a.img").symlink_to(folder / "loop-b.img")
        (folder / "loop-b.img").symlink_to(folder / "loop-a.img")
        return Refused([folder / "loop-a.img"], [], ("loop-a.img", "symbolic link loop"))
    raise ValueError(f"no refusal {kind!r}")


def refusals(make_lab: Callable[..., Any]) -> list[Any]:
    return [e for e in make_lab("dpo").audit_log() if not e.allowed]


def assert_refused_once(
    make_lab: Callable[..., Any], case_id: str, causes: tuple[str, ...], user: str = "vlas_inv"
) -> dict[str, object]:
    """Exactly one refused entry in the whole log: an ``evidence.refused`` of ``user`` in
    the case, its reason naming every cause; its detail returned."""
    found = refusals(make_lab)
    assert len(found) == 1, [(e.operation, e.detail) for e in found]
    entry = found[0]
    assert (entry.operation, entry.username, entry.case_id) == (REFUSED, user, case_id)
    detail = json.loads(entry.detail or "{}")
    for cause in causes:
        assert cause in str(detail["why"]), (cause, detail)
    return detail


def assert_nothing_stored(lab: Any) -> None:
    """No item or container row, and nothing in the store: no object, no empty folder."""
    from sqlalchemy import text

    with lab.db.engine.connect() as conn:  # plain SQL: no ORM outside lccu/evidence
        for table in ("evidence_items", "evidence_containers"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    root = Path(lab.settings.evidence_dir)
    assert not root.exists() or list(root.rglob("*")) == []
