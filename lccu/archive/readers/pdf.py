"""PDF: embedded image streams and attached files, through ``pikepdf`` (qpdf).

A JPEG (``/DCTDecode``) or JPEG 2000 (``/JPXDecode``) image stream is the picture file
itself and is handed out byte for byte; other images are pixel arrays, decoded by pikepdf
into a PNG or TIFF (``compression`` says so). Attached files (``/EmbeddedFiles``) are
members too, and may be archives in turn. qpdf only hands out whole streams, so a stream
over the in-memory limit is listed, not read.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lccu.archive.readers.base import NotDecrypted, Opened, Pump, ReadFailed, Write
from lccu.archive.records import Entry

CHUNK = 1024 * 1024
PASS_THROUGH = {"/DCTDecode": "jpg", "/JPXDecode": "jp2"}


class TooLarge(ReadFailed):
    """A whole-stream member above ``max_member_in_memory``."""


def _filters(stream: Any) -> list[str]:
    import pikepdf

    value = stream.get("/Filter")
    if value is None:
        return []
    items = list(value) if isinstance(value, pikepdf.Array) else [value]
    return [str(v) for v in items]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _emit(data: bytes, write: Write) -> None:
    for pos in range(0, len(data), CHUNK):
        write(data[pos:pos + CHUNK])


def _image(obj: Any, limit: int) -> tuple[Entry, Pump]:
    import pikepdf

    filters = _filters(obj)
    num, gen = obj.objgen
    length = _int(obj.get("/Length"))
    if len(filters) == 1 and filters[0] in PASS_THROUGH:
        name = f"image-{num}-{gen}.{PASS_THROUGH[filters[0]]}"
        entry = Entry(name=name, size=length or None, compressed_size=length or None,
                      compression=filters[0].lstrip("/"))

        def raw(write: Write) -> None:
            if length > limit:
                raise TooLarge(f"image stream of {length} bytes is over the in-memory limit")
            _emit(bytes(obj.read_raw_bytes()), write)

        return entry, raw
    width, height = _int(obj.get("/Width")), _int(obj.get("/Height"))
    bits = _int(obj.get("/BitsPerComponent")) or 8
    decoded = width * height * bits * 4 // 8  # at most four components (CMYK)
    method = "+".join(f.lstrip("/") for f in filters) or "none"
    entry = Entry(name=f"image-{num}-{gen}", compressed_size=length or None,
                  compression=f"{method}, decoded by pikepdf")

    def convert(write: Write) -> None:
        if max(decoded, length) > limit:
            raise TooLarge(f"image of {width}x{height} pixels is over the in-memory limit")
        out = io.BytesIO()
        try:
            pikepdf.PdfImage(obj).extract_to(stream=out)
        except (pikepdf.PdfError, NotImplementedError, ValueError, TypeError,
                AttributeError, KeyError) as exc:
            raise ReadFailed(f"image {num} {gen} R cannot be decoded: {exc}") from exc
        _emit(out.getvalue(), write)

    return entry, convert


def _attachment(name: str, spec: Any, limit: int) -> tuple[Entry, Pump]:
    try:
        stream = spec.obj.get("/EF", {}).get("/F")
        length = _int(stream.get("/Length")) if stream is not None else 0
    except AttributeError:
        length = 0
    entry = Entry(name=name, compressed_size=length or None, compression="attached file")

    def pump(write: Write) -> None:
        if length > limit:
            raise TooLarge(f"attached file of {length} stored bytes is over the in-memory limit")
        _emit(bytes(spec.get_file().read_bytes()), write)

    return entry, pump


def _open_pdf(path: Path, passwords: Sequence[str]) -> tuple[Any, bool]:
    import pikepdf

    try:
        return pikepdf.open(path), False
    except pikepdf.PasswordError:
        for password in passwords:
            try:
                return pikepdf.open(path, password=password), True
            except pikepdf.PasswordError:
                continue
        raise NotDecrypted("the PDF is encrypted and no password from the case list opens "
                           "it") from None
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        raise ReadFailed(f"pikepdf cannot open it: {exc}", fatal=True) from exc


@contextmanager
def open_pdf(path: Path, passwords: Sequence[str], limit: int) -> Iterator[Opened]:
    import pikepdf

    pdf, used = _open_pdf(path, passwords)

    def members() -> Iterator[tuple[Entry, Pump | None]]:
        try:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
                    yield _image(obj, limit)
            for name, spec in pdf.attachments.items():
                yield _attachment(str(name), spec, limit)
        except pikepdf.PdfError as exc:
            raise ReadFailed(f"pikepdf: {exc}", fatal=True) from exc

    try:
        yield Opened(format="pdf", members=members(), encrypted=bool(pdf.is_encrypted),
                     password_used=used)
    finally:
        pdf.close()
