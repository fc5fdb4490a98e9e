"""QCOW (versions 1, 2 and 3) read from its cluster tables, after the format specification.

Why not libqcow: libqcow-python 20260703 returns zeros, and no error, for some compressed
clusters written by ``qemu-img convert -c`` (qemu 7.2): its own inflate stops short and
the unfilled buffer is handed back. Evidence read as silent zeros is what lccu must never
do, so QCOW is decoded here: a two-level table maps each guest cluster to a host cluster
(read as is), to compressed data (raw deflate, Python's zlib), to zeros (unallocated or
the v3 zero flag), and every inconsistency is an :class:`ImageFormatError`. Tests compare
every decoded byte with ``qemu-img convert -O raw``.

Not read, each with a clear error: encrypted images (AES or LUKS), overlays that need a
backing file, external data files, extended L2 entries (subclusters), zstd compression.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass

from lccu.errors import ImageFormatError
from lccu.imaging.containers import Containers, read_at

KINDS = ("qcow",)
MAGIC = b"QFI\xfb"
_L2_CACHE_TABLES = 64
_OFFSET_MASK = 0x00FFFFFFFFFFFE00  # bits 9-55: L2 table / host cluster offsets (v2, v3)
_ZERO_FLAG = 1  # v3: the cluster reads as zeros
_INCOMPATIBLE = {2: "an external data file", 3: "zstd compression", 4: "extended L2 entries"}


class _Overlay(Exception):
    """The image names a backing file (where its name is): refused by the caller."""

    def __init__(self, offset: int, size: int) -> None:
        super().__init__(offset, size)
        self.offset, self.size = offset, size


@dataclass(frozen=True)
class _Layout:
    version: int
    cluster_bits: int
    l2_bits: int
    size: int
    l1_offset: int
    l1_entries: int
    compressed_bit: int
    compressed_shift: int  # where the compressed size field starts

    @property
    def cluster_size(self) -> int:
        return 1 << self.cluster_bits


def _layout(name: str, head: bytes, file_size: int) -> _Layout:
    if len(head) < 48 or head[:4] != MAGIC:
        raise ImageFormatError(f"{name}: not a QCOW image (no QFI signature)",
                               key="image_not_readable", params={"file": name, "format": "QCOW"})
    version = struct.unpack_from(">I", head, 4)[0]
    backing_offset, backing_size = struct.unpack_from(">QI", head, 8)
    if version == 1:
        size, cluster_bits, l2_bits = struct.unpack_from(">QBB", head, 24)
        crypt = struct.unpack_from(">I", head, 36)[0]
        l1_offset = struct.unpack_from(">Q", head, 40)[0]
        span = 1 << (cluster_bits + l2_bits) if 9 <= cluster_bits <= 24 else 1
        l1_entries = -(-size // span)
        compressed_bit, compressed_shift = 63, 63 - cluster_bits
    elif version in (2, 3):
        cluster_bits, size, crypt, l1_entries, l1_offset = struct.unpack_from(">IQIIQ", head, 20)
        l2_bits = cluster_bits - 3
        compressed_bit, compressed_shift = 62, 62 - (cluster_bits - 8)
        if version == 3 and len(head) >= 104:
            incompatible = struct.unpack_from(">Q", head, 72)[0]
            header_length = struct.unpack_from(">I", head, 100)[0]
            if header_length > 104 and head[104] != 0:
                incompatible |= 1 << 3
            for bit, what in _INCOMPATIBLE.items():
                if incompatible >> bit & 1:
                    raise ImageFormatError(f"{name}: this QCOW2 uses {what}, which lccu does "
                                           "not read; convert it with `qemu-img convert -O "
                                           "raw` and add the result", key="qcow_feature",
                                           params={"file": name, "qcow_feature": bit},
                                           )  # fmt: skip
    else:
        raise ImageFormatError(f"{name}: QCOW version {version} is not supported (1, 2, 3 are)",
                               key="qcow_version", params={"file": name, "version": version})
    if not 9 <= cluster_bits <= 21:
        raise ImageFormatError(f"{name}: QCOW cluster size 2^{cluster_bits} is out of range; "
                               "the header is corrupt", key="image_header_corrupt",
                               params={"file": name})  # fmt: skip
    if crypt:
        method = {1: "AES", 2: "LUKS"}.get(crypt, f"method {crypt}")
        raise ImageFormatError(f"{name}: the QCOW image is encrypted ({method}); lccu cannot "
                               "read it without the key: decrypt it with `qemu-img convert` "
                               "and the passphrase, and add the result", key="qcow_encrypted",
                               params={"file": name, "method": method})  # fmt: skip
    if backing_offset:
        raise _Overlay(backing_offset, min(backing_size, 1023))
    if l1_offset + 8 * l1_entries > file_size or l1_entries > (1 << 28):
        raise ImageFormatError(f"{name}: the QCOW cluster table lies beyond the end of the "
                               "file; it is truncated or corrupt", key="image_header_corrupt",
                               params={"file": name})  # fmt: skip
    return _Layout(version, cluster_bits, l2_bits, size, l1_offset, l1_entries,
                   compressed_bit, compressed_shift)


class QcowSource:
    """The guest disk of a QCOW file, as a :class:`~lccu.imaging.stream.RangeSource`."""

    def __init__(self, containers: Containers) -> None:
        if len(containers) > 1:
            raise ImageFormatError(f"{containers.label}: a QCOW image is one file, but "
                                   f"{len(containers)} were given")  # fmt: skip
        first = containers.first
        self._stream = first.stream
        self._file_size = first.size
        self.name = f"{containers.label} (QCOW)"
        self._lock = threading.Lock()
        try:
            self.layout = _layout(self.name, read_at(self._stream, 0, 112), first.size)
        except _Overlay as overlay:
            backing = read_at(self._stream, overlay.offset, overlay.size)
            raise ImageFormatError(
                f"{self.name}: this QCOW is an overlay: its data continues in the backing file "
                f"{backing.decode('utf-8', 'replace')!r}, which lccu does not combine; flatten "
                "it with `qemu-img convert -O raw` and add the result", key="image_needs_parent",
                params={"file": first.name,
                        "parent": backing.decode("utf-8", "replace")}) from None
        self.size = self.layout.size
        self.format_name = "qcow" if self.layout.version == 1 else "qcow2"
        raw = read_at(self._stream, self.layout.l1_offset, 8 * self.layout.l1_entries)
        self._l1 = struct.unpack(f">{self.layout.l1_entries}Q", raw)
        self._l2: OrderedDict[int, tuple[int, ...]] = OrderedDict()

    def _host(self, offset: int, length: int, *, data: bool = False) -> bytes:
        """File bytes; for cluster ``data``, a last cluster that the file ends inside reads
        its missing tail as zeros, as qemu does (qemu-img may write it short)."""
        missing = offset + length - self._file_size
        if missing > 0 and not (data and offset < self._file_size
                                and missing < self.layout.cluster_size):
            raise ImageFormatError(f"{self.name}: data at file offset {offset} lies beyond the "
                                   "end of the file; the QCOW is truncated",
                                   key="image_truncated_at",
                                   params={"file": self.name, "offset": offset})  # fmt: skip
        found = read_at(self._stream, offset, length)
        return found + bytes(length - len(found)) if missing > 0 else found

    def _l2_table(self, index: int) -> tuple[int, ...] | None:
        entry = self._l1[index] if index < len(self._l1) else 0
        offset = entry & (_OFFSET_MASK if self.layout.version > 1 else (1 << 63) - 1)
        if offset == 0:
            return None
        table = self._l2.get(offset)
        if table is None:
            count = 1 << self.layout.l2_bits
            table = struct.unpack(f">{count}Q", self._host(offset, 8 * count))
            self._l2[offset] = table
            if len(self._l2) > _L2_CACHE_TABLES:
                self._l2.popitem(last=False)
        else:
            self._l2.move_to_end(offset)
        return table

    def _cluster(self, index: int) -> bytes | tuple[int, int] | None:
        """Host ``(offset, length)`` of a plain cluster, its inflated bytes, or ``None``
        for a cluster that reads as zeros."""
        layout = self.layout
        table = self._l2_table(index >> layout.l2_bits)
        if table is None:
            return None
        entry = table[index & ((1 << layout.l2_bits) - 1)]
        if entry >> layout.compressed_bit & 1:
            return self._inflate(index, entry)
        if layout.version == 1:
            offset = entry & ((1 << 63) - 1)
        else:
            if entry & _ZERO_FLAG:
                return None
            offset = entry & _OFFSET_MASK
        return (offset, layout.cluster_size) if offset else None

    def _inflate(self, index: int, entry: int) -> bytes:
        layout = self.layout
        field = entry & ((1 << layout.compressed_bit) - 1)
        offset = field & ((1 << layout.compressed_shift) - 1)
        if layout.version == 1:
            length = (field >> layout.compressed_shift) & (layout.cluster_size - 1)
        else:
            sectors = (field >> layout.compressed_shift) + 1
            length = sectors * 512 - (offset & 511)
        length = min(length, self._file_size - offset)
        where = (f"{self.name}: compressed cluster {index} (media offset "
                 f"{index << layout.cluster_bits})")
        facts = {"file": self.name, "offset": index << layout.cluster_bits}
        try:
            data = zlib.decompressobj(-15).decompress(self._host(offset, length),
                                                      layout.cluster_size)
        except zlib.error as exc:
            raise ImageFormatError(f"{where} does not inflate: {exc}; the image is "
                                   "corrupt", key="image_cluster_corrupt",
                                   params=facts,
                                   ) from exc  # fmt: skip
        if len(data) != layout.cluster_size:
            raise ImageFormatError(f"{where} inflates to {len(data)} bytes instead of "
                                   f"{layout.cluster_size}; the image is corrupt",
                                   key="image_cluster_corrupt",
                                   params=facts,
                                   )  # fmt: skip
        return data

    def read_range(self, offset: int, length: int) -> bytes:
        end = min(self.size, offset + length)
        if offset >= end:
            return b""
        bits = self.layout.cluster_bits
        pieces: list[bytes] = []
        with self._lock:
            run: tuple[int, int] | None = None  # contiguous host bytes still to read
            position = offset
            while position < end:
                index = position >> bits
                within = position - (index << bits)
                take = min(end - position, self.layout.cluster_size - within)
                found = self._cluster(index)
                if isinstance(found, tuple):
                    host = found[0] + within
                    if run is not None and run[0] + run[1] == host:
                        run = (run[0], run[1] + take)
                    else:
                        if run is not None:
                            pieces.append(self._host(*run, data=True))
                        run = (host, take)
                else:
                    if run is not None:
                        pieces.append(self._host(*run, data=True))
                        run = None
                    pieces.append(found[within:within + take] if found is not None
                                  else bytes(take))  # fmt: skip
                position += take
            if run is not None:
                pieces.append(self._host(*run, data=True))
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def close(self) -> None:
        self._stream.close()


def open_containers(containers: Containers) -> QcowSource:
    """The disk inside a single QCOW file."""
    return QcowSource(containers)
