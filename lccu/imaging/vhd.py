"""VHD (fixed and dynamic) and VHDX read through libvhdi (``pip install libvhdi-python``).

One file holds the whole disk. A fixed VHD is the raw disk followed by a 512-byte footer,
so it must not be read as raw (the footer would be hashed as disk data). Differencing
disks need their parent and are refused, naming the parent.
"""

from __future__ import annotations

from lccu.errors import ImageFormatError
from lccu.imaging.containers import Containers
from lccu.imaging.libyal import LibyalSource, load_binding, opening

KINDS = ("vhd", "vhdx")
_FIXED = 2
_DIFFERENTIAL = 4
FOOTER_BYTES = 512


def open_containers(containers: Containers) -> LibyalSource:
    """The disk inside a single VHD or VHDX file."""
    pyvhdi = load_binding("pyvhdi", "libvhdi-python", "VHD and VHDX images")
    first = containers.first
    label = "VHDX" if first.kind == "vhdx" else "VHD"
    if len(containers) > 1:
        raise ImageFormatError(f"{containers.label}: a {label} is one file, but "
                               f"{len(containers)} were given; give one disk at a time")
    name = f"{containers.label} ({label})"
    handle = pyvhdi.file()
    with opening(name, f"{label} (corrupt or truncated)"):
        handle.open_file_object(first.stream)
        if int(handle.get_disk_type()) == _DIFFERENTIAL:
            raise ImageFormatError(
                f"{first.name} is a differencing {label}; it needs its parent "
                f"{handle.get_parent_filename() or '(unnamed)'}, which lccu does not combine; "
                "merge it into its parent (Hyper-V, qemu-img commit) and add the result",
                key="image_needs_parent",
                params={"file": first.name, "parent": handle.get_parent_filename() or "?"},
            )
        return LibyalSource(handle, name, containers.streams(), label.lower())


class _FooterOnly:
    """A file of ``size`` bytes that holds only a VHD footer at its end (zeros before it):
    what libvhdi needs to say what a fixed VHD's footer describes, before its data can be
    read (an upload whose bytes went straight into the store)."""

    def __init__(self, footer: bytes, size: int) -> None:
        self._footer, self._size, self._at = footer, size, 0

    def read(self, length: int = -1) -> bytes:
        end = self._size if length is None or length < 0 else min(self._size,
                                                                    self._at + length)
        start, self._at = self._at, max(self._at, end)
        data = bytearray(max(0, end - start))
        footer_at = self._size - len(self._footer)
        if end > footer_at:
            first = max(start, footer_at)
            data[first - start:] = self._footer[first - footer_at : end - footer_at]
        return bytes(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._at, 2: self._size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at

    def get_size(self) -> int:
        return self._size


def fixed_media_size(footer: bytes, file_size: int) -> int:
    """The media size libvhdi reads from the footer of a fixed VHD of ``file_size`` bytes
    (its disk is the bytes before the footer); :class:`ImageFormatError` when libvhdi cannot
    open it or it is not a fixed VHD."""
    pyvhdi = load_binding("pyvhdi", "libvhdi-python", "VHD and VHDX images")
    handle = pyvhdi.file()
    with opening("VHD footer", "VHD (corrupt footer)"):
        handle.open_file_object(_FooterOnly(footer[-FOOTER_BYTES:], file_size))
        try:
            if int(handle.get_disk_type()) != _FIXED:
                raise ImageFormatError("the VHD footer does not describe a fixed disk")
            return int(handle.get_media_size())
        finally:
            handle.close()
