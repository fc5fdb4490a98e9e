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
_DIFFERENTIAL = 4


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
                "merge it into its parent (Hyper-V, qemu-img commit) and add the result"
            )
        return LibyalSource(handle, name, containers.streams(), label.lower())
