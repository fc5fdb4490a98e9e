"""A bare compressed stream (gzip, bzip2, xz that holds no tar) decompressed one layer, by
Python's own zlib, bz2 and lzma.

libarchive stacks a filter for every layer it recognises in the output: a gzip whose
content is gzip again is read through two filters, and a gzip quine (a file that
decompresses to itself) through filter after filter until libarchive gives up ("too many
filters"), so nothing of it is recorded. One layer here makes the content a member like any
other: the engine hashes it, sees a member with its container's bytes and records a
recursive archive (``not-expanded-quine``), and a stream compressed twice is expanded
twice, each layer a member. Output comes in blocks of at most :data:`BLOCK` bytes whatever
the ratio, so a bomb is stopped by the writer's limits in bounded memory; concatenated
streams (``cat a.gz b.gz``) give one member, as ``gzip -d`` does.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from lccu.archive.readers.base import Opened, ReadFailed, Write
from lccu.archive.records import Entry

BLOCK = 1024 * 1024
_ERRORS = (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError)


def _new(fmt: str) -> Any:
    if fmt == "gzip":
        return zlib.decompressobj(wbits=31)
    if fmt == "bzip2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor()


def _drain(fmt: str, d: Any, data: bytes, write: Write) -> bytes:
    """Decompress ``data`` into ``write`` in blocks of at most :data:`BLOCK`; returns the
    bytes left after the end of this stream (the start of a concatenated one)."""
    out = d.decompress(data, BLOCK)
    write(out)
    if fmt == "gzip":  # zlib keeps unread input in unconsumed_tail; a full block may have more
        while not d.eof and (d.unconsumed_tail or len(out) == BLOCK):
            out = d.decompress(d.unconsumed_tail, BLOCK)
            write(out)
    else:  # bz2/lzma keep it inside: needs_input is False while output is pending
        while not d.eof and not d.needs_input:
            write(d.decompress(b"", BLOCK))
    return bytes(d.unused_data) if d.eof else b""


def _pump(fh: BinaryIO, fmt: str, read: Callable[[int], bytes]) -> Callable[[Write], None]:
    def pump(write: Write) -> None:
        d = _new(fmt)
        try:
            while data := read(BLOCK):
                while data:
                    rest = _drain(fmt, d, data, write)
                    if not d.eof:
                        break
                    if not rest.strip(b"\0"):  # trailing zero padding, as gzip allows
                        return
                    d, data = _new(fmt), rest
            if not d.eof:
                raise ReadFailed(f"{fmt} stream ends before its end marker (truncated)")
        except _ERRORS as exc:
            raise ReadFailed(f"{fmt} data damaged: {exc}") from exc

    return pump


@contextmanager
def open_single_stream(path: Path, fmt: str, name: str) -> Iterator[Opened]:
    """The one member of the bare ``fmt`` stream at ``path``, named ``name``."""
    with path.open("rb") as fh:
        consumed = 0

        def read(size: int) -> bytes:
            nonlocal consumed
            data = fh.read(size)
            consumed += len(data)
            return data

        entry = Entry(name=name, kind="file", compression=fmt)
        opened = Opened(format=fmt, members=iter([(entry, _pump(fh, fmt, read))]),
                        consumed=lambda: consumed)
        yield opened
