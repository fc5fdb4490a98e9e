"""What a container file is, told from its bytes (never from its name).

:func:`identify` looks at the first and last bytes of one container file and returns a
:class:`Signature`: a format lccu reads (``ewf``, ``vmdk``, ``vmdk-descriptor``, ``vhd``,
``vhdx``, ``qcow``), a format it recognises but does not read (VDI, DMG, AFF, L01,
compressed files...: :attr:`Signature.unsupported` says what to do instead), or ``None``
(no known container signature: raw data). One table, readable top to bottom.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from lccu.errors import ImageFormatError

#: bytes of a container's head and tail that :func:`identify` needs
HEAD_BYTES = 1024
TAIL_BYTES = 512


@dataclass(frozen=True)
class Signature:
    """A recognised container kind; ``unsupported`` is the advice when lccu cannot read it."""

    kind: str
    description: str
    unsupported: str | None = None


def _at(data: bytes, offset: int, magic: bytes) -> bool:
    return data[offset : offset + len(magic)] == magic


_CONVERT = "convert it to raw first (e.g. `qemu-img convert -O raw`) and add the result"
_DECOMPRESS = "decompress it first and add the image inside"

#: (kind, offset in the head, magic, description, advice when unsupported); first match wins
_HEAD_TABLE: tuple[tuple[str, int, bytes, str, str | None], ...] = (
    ("ewf", 0, b"EVF\x09\x0d\x0a\xff\x00", "EWF (E01) segment", None),
    ("ewf2", 0, b"EVF2\x0d\x0a\x81\x00", "EWF2 (Ex01) segment", None),
    ("l01", 0, b"LVF\x09\x0d\x0a\xff\x00",
     "EnCase logical evidence file (L01)",
     "an L01 holds selected files, not a disk image; export the files with EnCase or "
     "ewfexport and add them as separate items"),
    ("l01", 0, b"LEF2\x0d\x0a\x81\x00", "EnCase logical evidence file (Lx01)",
     "an Lx01 holds selected files, not a disk image"),
    ("vmdk", 0, b"KDMV", "VMDK sparse extent", None),
    ("vmdk", 0, b"COWD", "VMware ESX sparse extent (COWD)", None),
    ("vmdk-descriptor", 0, b"# Disk DescriptorFile", "VMDK descriptor file", None),
    ("vhdx", 0, b"vhdxfile", "VHDX disk image", None),
    ("vhd", 0, b"conectix", "VHD disk image (dynamic)", None),
    ("qcow", 0, b"QFI\xfb", "QCOW disk image", None),
    ("vdi", 64, struct.pack("<I", 0xBEDA107F), "VirtualBox VDI disk image", _CONVERT),
    ("aff", 0, b"AFF10\x0d\x0a\x00", "AFF (Advanced Forensic Format) image",
     "export it to raw with affconvert or FTK Imager and add the result"),
    ("parallels", 0, b"WithoutFreeSpace", "Parallels disk image", _CONVERT),
    ("parallels", 0, b"WithouFreSpacExt", "Parallels disk image", _CONVERT),
    ("zip", 0, b"PK\x03\x04", "ZIP archive (or an AFF4 image)",
     "an AFF4 image or a zipped image is not read directly; extract or convert the disk "
     "image and add it"),
    ("gzip", 0, b"\x1f\x8b", "gzip-compressed file", _DECOMPRESS),
    ("xz", 0, b"\xfd7zXZ\x00", "xz-compressed file", _DECOMPRESS),
    ("bzip2", 0, b"BZh", "bzip2-compressed file", _DECOMPRESS),
    ("7z", 0, b"7z\xbc\xaf\x27\x1c", "7-Zip archive", _DECOMPRESS),
    ("zstd", 0, b"\x28\xb5\x2f\xfd", "zstd-compressed file", _DECOMPRESS),
)


def identify(head: bytes, tail: bytes = b"") -> Signature | None:
    """The container kind of a file starting with ``head`` and ending with ``tail``.

    ``None`` means raw data (any bytes are a valid raw image). A fixed VHD is raw data
    followed by a 512-byte ``conectix`` footer, so it is told by its tail; so is an Apple
    disk image (``koly`` trailer).
    """
    for kind, offset, magic, description, advice in _HEAD_TABLE:
        if _at(head, offset, magic):
            if kind == "bzip2" and not head[3:4].isdigit():
                continue  # "BZh" followed by a block-size digit, not any text starting BZh
            return Signature(kind, description, advice)
    if len(tail) >= 512 and _at(tail, len(tail) - 512, b"conectix"):
        return Signature("vhd", "VHD disk image (fixed)")
    if len(tail) >= 512 and _at(tail, len(tail) - 512, b"koly"):
        return Signature("dmg", "Apple disk image (DMG/UDIF)",
                         "convert it to raw on a Mac (`hdiutil convert -format UDTO`) or with "
                         "dmg2img and add the result")
    return None


def unsupported_error(name: str, signature: Signature) -> ImageFormatError:
    """The refusal of file ``name``, a container lccu recognises but does not read; its
    message key names the container's kind, so the web says it and the advice in the
    page's language (``container_<kind>``, ``container_advice_<kind>``)."""
    return ImageFormatError(
        f"{name} is a {signature.description}, which lccu does not read: "
        f"{signature.unsupported}",
        key="image_unsupported",
        params={"file": name, "container_kind": signature.kind, "advice_kind": signature.kind},
    )
