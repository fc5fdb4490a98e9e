"""The same disk in every container format lccu reads, made by the tools a unit uses.

:func:`build_containers` turns one raw disk into split raw (coreutils ``split``), E01
(``ewfacquire``: uncompressed in ``segments`` segments, and deflate), VMDK (monolithic and
split, sparse, flat and stream-optimised), VHD (fixed, dynamic), VHDX and QCOW2 (plain and
compressed) with ``qemu-img``. Tests open each and compare with the raw disk; the
``qemu-img``-made ones can also be decoded back by ``qemu-img convert -O raw`` (the oracle).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

#: format id -> qemu-img output format and options
QEMU_FORMATS: dict[str, tuple[str, list[str]]] = {
    "vmdk-sparse": ("vmdk", ["-o", "subformat=monolithicSparse"]),
    "vmdk-split-sparse": ("vmdk", ["-o", "subformat=twoGbMaxExtentSparse"]),
    "vmdk-flat": ("vmdk", ["-o", "subformat=monolithicFlat"]),
    "vmdk-stream": ("vmdk", ["-o", "subformat=streamOptimized"]),
    "vhd-fixed": ("vpc", ["-o", "subformat=fixed,force_size=on"]),
    "vhd-dynamic": ("vpc", ["-o", "subformat=dynamic,force_size=on"]),
    "vhdx": ("vhdx", []),
    "qcow2": ("qcow2", []),
    "qcow2-compressed": ("qcow2", ["-c"]),
}
_EXTENSIONS = {"vmdk": ".vmdk", "vpc": ".vhd", "vhdx": ".vhdx", "qcow2": ".qcow2"}


def tool(name: str, package: str) -> str:
    """The path of a reference tool, or an error saying which package installs it."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is needed to build test images: apt-get install -y "
                           f"{package} (scripts/install.sh installs it)")  # fmt: skip
    return path


def run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, timeout=300)


@dataclass
class BuiltContainers:
    """A raw disk and, per format id, its container files in order (the first one names
    the image: E01, descriptor, .001)."""

    raw: Path
    formats: dict[str, list[Path]] = field(default_factory=dict)


def _split_flat_vmdk(raw: Path, out: Path, parts: int = 3) -> list[Path]:
    """A VMDK descriptor over ``parts`` flat extents (what ``twoGbMaxExtentFlat`` makes of a
    disk over 4 GB), written by hand so that a small disk still has several extents."""
    sectors = raw.stat().st_size // 512
    per = -(-sectors // parts)
    extents: list[Path] = []
    lines = []
    with raw.open("rb") as src:
        for index in range(parts):
            count = min(per, sectors - index * per)
            extent = out / f"disk-f{index + 1:03d}.vmdk"
            with extent.open("wb") as dst:
                dst.write(src.read(count * 512))
            extents.append(extent)
            lines.append(f'RW {count} FLAT "{extent.name}" 0')
    descriptor = out / "disk.vmdk"
    descriptor.write_text("# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
                          'createType="twoGbMaxExtentFlat"\n\n# Extent description\n'
                          + "\n".join(lines) + '\n\n# The Disk Data Base\n#DDB\n\n'
                          'ddb.adapterType = "ide"\n')  # fmt: skip
    return [descriptor, *extents]


def build_containers(raw: str | os.PathLike[str], out: str | os.PathLike[str],
                     segments: int = 3) -> BuiltContainers:  # fmt: skip
    """Every container format of the disk ``raw``, under ``out`` (one folder per format)."""
    source, root = Path(raw), Path(out)
    built = BuiltContainers(raw=source)
    size = source.stat().st_size
    segment = max(1024 * 1024, -(-size // segments // (1024 * 1024)) * 1024 * 1024)

    def folder(name: str) -> Path:
        path = root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    built.formats["raw"] = [source]
    split_dir = folder("split")
    run(tool("split", "coreutils"), "-b", str(segment), "-d", "-a", "3", "--numeric-suffixes=1",
        str(source), str(split_dir / "disk."))
    built.formats["split"] = sorted(split_dir.iterdir())
    ewfacquire = tool("ewfacquire", "ewf-tools")
    # deflate segments are cut after compression: 1 MiB (ewfacquire's least) gives several
    # segments only when the disk holds more than a few MiB that do not compress
    for name, compression, cut in (("ewf", "none", segment),
                                   ("ewf-deflate", "deflate:fast", 1024 * 1024)):
        target = folder(name) / "disk"
        run(ewfacquire, "-u", "-q", "-d", "sha1", "-c", compression, "-S", str(cut),
            "-t", str(target), str(source))
        built.formats[name] = sorted(target.parent.glob("disk.E*"))
    qemu_img = tool("qemu-img", "qemu-utils")
    for name, (fmt, options) in QEMU_FORMATS.items():
        target = folder(name) / f"disk{_EXTENSIONS[fmt]}"
        run(qemu_img, "convert", "-q", "-f", "raw", "-O", fmt, *options, str(source), str(target))
        others = sorted(p for p in target.parent.iterdir() if p != target)
        built.formats[name] = [target, *others]
    built.formats["vmdk-split-flat"] = _split_flat_vmdk(source, folder("vmdk-split-flat"))
    return built
