"""VMDK (VMware virtual disks) read through libvmdk (``pip install libvmdk-python``).

A VMDK is a descriptor plus extent files. Monolithic sparse (and stream-optimised) disks
carry the descriptor inside their one ``KDMV`` file; split sparse (``disk.vmdk`` +
``disk-s001.vmdk ...``), monolithic flat (``disk.vmdk`` + ``disk-flat.vmdk``) and split
flat (``disk-f001.vmdk ...``) disks have a small text descriptor naming their extents.

Hand-over: the container files of one disk, as :class:`~lccu.imaging.containers.Containers`
(``open_image({"disk.vmdk": d, "disk-s001.vmdk": e1, ...})``, or a list of streams whose
``name`` ends in those file names). The descriptor is found by its bytes, wherever it is
in the list; each extent it names is matched by file name (the descriptor's quoted name,
without directories). A missing extent is an error naming it. Snapshot (delta) disks need
their parent and are refused, naming the parent.
"""

from __future__ import annotations

from typing import Any

from lccu.errors import ImageFormatError
from lccu.imaging.containers import Container, Containers
from lccu.imaging.libyal import LibyalSource, load_binding, opening

KINDS = ("vmdk", "vmdk-descriptor")
_NO_PARENT = 0xFFFFFFFF


def _pyvmdk() -> Any:
    return load_binding("pyvmdk", "libvmdk-python", "VMDK images")


def _descriptor(containers: Containers) -> Container:
    descriptors = [c for c in containers if c.kind == "vmdk-descriptor"]
    if len(descriptors) > 1:
        names = ", ".join(c.name for c in descriptors)
        raise ImageFormatError(
            f"{containers.label}: {len(descriptors)} VMDK descriptor files ({names}); give one "
            "disk at a time",
            key="vmdk_several_descriptors",
            params={"file": containers.label, "count": len(descriptors), "names": names},
        )
    if descriptors:
        return descriptors[0]
    if len(containers) > 1:
        raise ImageFormatError(
            f"{containers.label}: {len(containers)} VMDK extent files but no descriptor file "
            "(the small text file `# Disk DescriptorFile` that lists them); add it",
            key="vmdk_no_descriptor",
            params={"file": containers.label, "count": len(containers)},
        )
    return containers.first


def extent_names(handle: Any) -> list[str]:
    """The file names of the extents an opened descriptor lists, in order."""
    return [str(e.filename or "") for e in handle.extent_descriptors]


def open_containers(containers: Containers) -> LibyalSource:
    """The disk described by ``containers`` (descriptor and extents, see the module doc)."""
    pyvmdk = _pyvmdk()
    descriptor = _descriptor(containers)
    handle = pyvmdk.handle()
    name = f"{containers.label} (VMDK)"
    with opening(name, "VMDK (corrupt, truncated or an extent missing)"):
        handle.open_file_object(descriptor.stream)
        parent = int(handle.get_parent_content_identifier() or _NO_PARENT)
        if parent != _NO_PARENT:
            raise ImageFormatError(
                f"{descriptor.name} is a VMDK snapshot (delta) disk; it needs its parent "
                f"{handle.get_parent_filename() or '(unnamed)'}, which lccu does not combine; "
                "consolidate the snapshot in VMware or add the parent disk instead",
                key="image_needs_parent",
                params={"file": descriptor.name, "parent": handle.get_parent_filename() or "?"},
            )
        extents = []
        names = extent_names(handle)
        # a monolithic sparse or stream-optimised disk (one KDMV/COWD file) names itself as
        # its one extent, by the name it had when it was written: a copy renamed since
        # (disk.vmdk kept as EXH-001.vmdk) is still that extent, not a missing file
        itself = descriptor.kind != "vmdk-descriptor" and len(names) == 1 == len(containers)
        for wanted in names:
            found = containers.named(wanted) if wanted else descriptor
            if found is None and itself:
                found = descriptor
            if found is None:
                raise ImageFormatError(
                    f"{descriptor.name}: extent file {wanted!r} is missing; add every file the "
                    f"descriptor lists ({', '.join(extent_names(handle))})",
                    key="vmdk_extent_missing",
                    params={
                        "file": descriptor.name,
                        "extent": wanted,
                        "extents": ", ".join(extent_names(handle)),
                    },
                )
            extents.append(found.stream)
        used = {id(stream) for stream in extents} | {id(descriptor.stream)}
        foreign = [c.name for c in containers if id(c.stream) not in used]
        if foreign:  # given with the image but not part of it: never silently ignored
            raise ImageFormatError(
                f"{', '.join(foreign)}: not part of the VMDK disk that {descriptor.name} "
                f"describes (its extents: {', '.join(extent_names(handle))}); give only "
                "one image's files"
            )
        handle.open_extent_data_files_as_file_objects(extents)
        return LibyalSource(handle, name, containers.streams(), "vmdk")
