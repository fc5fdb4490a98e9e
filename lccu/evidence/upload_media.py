"""A disk image in a container (E01 in segments, VMDK, VHD, VHDX, QCOW2) taken in by upload.

The item's hashes are the media's, read through the container's reader, which needs random
access to every container file: something a browser's byte stream and an uncompleted S3
multipart upload cannot give. So each file is first written to a *staging* copy in the
store's derived area (``derived/staging/...``: no retention, no object lock, never listed
as evidence) and hashed on the way. Once the last byte is in and the sender gave the
go-ahead, the media is read from the staging copies (libewf, libvmdk, ...), the segment
set is checked (order by header, nothing missing, nothing foreign), the stored E01 hashes
and the declared hashes are compared and access is checked again; only then is each file
streamed from staging into the evidence store (hashed again: the copy must be the bytes
received) and committed. The staging copies are removed however the intake ends, so a
refused or failed intake leaves nothing that looks like evidence.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import BinaryIO, cast

from lccu.errors import DeclaredHashMismatch, ImageFormatError, IntegrityError, InvalidInput
from lccu.evidence.intake import (
    MediaFacts,
    PendingIntake,
    Reader,
    container_keys,
    hash_media,
    mismatch_params,
)
from lccu.evidence.promote import commit_all
from lccu.hashing import Digests, MultiHasher
from lccu.imaging.signatures import TAIL_BYTES, Signature, identify
from lccu.imaging.stream import ImageStream
from lccu.storage.base import StagedEvidence, StoredEvidence

#: container kinds whose media is read through a reader (not the bytes as they arrive)
READ_THROUGH = frozenset({"ewf", "ewf2", "vmdk", "vmdk-descriptor", "vhd", "vhdx", "qcow"})
#: staging copies of uploads, in the store's derived area (replaceable, never evidence)
STAGING = "staging"


def read_through(signature: Signature | None) -> bool:
    """Whether a file with this signature carries media lccu reads through its reader."""
    return signature is not None and not signature.unsupported and signature.kind in READ_THROUGH


class _Counted:
    """The next ``size`` bytes of ``source``, hashed on the way (one staged file)."""

    def __init__(self, source: Reader, size: int, hasher: MultiHasher) -> None:
        self._source, self._left, self._hasher = source, size, hasher
        self.head = b""
        self.tail = b""

    def read(self, length: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if length is None or length < 0 else min(length, self._left)
        data = self._source.read(want)
        if not data:
            raise InvalidInput(f"the upload ended {self._left} bytes before this file did")
        self._left -= len(data)
        self._hasher.update(data)
        if len(self.head) < 1024:
            self.head += data[: 1024 - len(self.head)]
        self.tail = (self.tail + data[-TAIL_BYTES:])[-TAIL_BYTES:]
        return data


class _Staging:
    """The staging copies of one upload: written, opened, removed (always)."""

    def __init__(self, pending: PendingIntake, names: Sequence[str]) -> None:
        self.store = pending.store
        self.names = list(names)
        folder = f"{STAGING}/{pending.case_id}/{pending.item_id}"
        self.keys = [
            f"{folder}/{key.rsplit('/', 1)[-1]}" for key in container_keys(pending, self.names)
        ]
        self.written: list[str] = []
        self.digests: list[Digests] = []
        self.ends: list[tuple[bytes, bytes]] = []
        self._opened: list[ImageStream] = []

    def write(self, source: Reader, sizes: Sequence[int]) -> None:
        for key, size in zip(self.keys, sizes, strict=True):
            with MultiHasher() as hasher:
                part = _Counted(source, size, hasher)
                self.written.append(key)
                self.store.put_derived(key, cast(BinaryIO, part), size=size)
                self.digests.append(hasher.digests())
            self.ends.append((part.head, part.tail))

    def open(self, index: int) -> ImageStream:
        """A staging copy as a stream with a small cache (many may be open at once)."""
        whole = self.store.open_derived(self.keys[index])
        self._opened.append(whole)  # its source is shared; closed in remove()
        return ImageStream(
            whole.source, close_source=False, block_size=1024 * 1024, cache_blocks=4, read_ahead=1
        )

    def remove(self) -> None:
        for stream in self._opened:
            with contextlib.suppress(Exception):
                stream.close()
        for key in self.written:
            with contextlib.suppress(Exception):
                self.store.delete_derived(key)


def _read_media(staging: _Staging) -> MediaFacts:
    """Open the media from the staging copies through its reader, hash it in one pass and
    say whether it was read as acquired; the set of files is checked first."""
    from lccu.evidence.acquisition import SEQUENTIAL, check_ewf_segments
    from lccu.imaging import open_image

    names = staging.names
    first = identify(*staging.ends[0])
    if first is not None and first.kind in ("ewf", "ewf2"):
        check_ewf_segments(
            [(name, head, tail) for name, (head, tail) in zip(names, staging.ends, strict=True)]
        )
    streams: dict[str, BinaryIO] = {}
    try:
        for index, name in enumerate(names):
            streams[name] = cast(BinaryIO, staging.open(index))
        image = open_image(streams, **SEQUENTIAL)
    except ImageFormatError as exc:
        for stream in streams.values():
            stream.close()
        if len(names) > 1 and exc.key:  # the reader's own reason, said in the page's language
            raise InvalidInput(
                f"{names[0]}: {exc}; nothing was stored",
                key="image_unreadable_because",
                params={
                    "file": names[0],
                    "reasons": [{"key": exc.key, "params": dict(exc.params), "text": str(exc)}],
                },
            ) from exc
        if len(names) > 1:
            raise InvalidInput(
                f"{names[0]}: {exc}; nothing was stored",
                key="image_unreadable",
                params={"file": names[0]},
            ) from exc
        # one damaged container file: the copy as received is still evidence, taken in
        # as the file it is and marked (as `lccu evidence add` does), never silently
        return MediaFacts("file", staging.digests[0], unreadable=str(exc))
    except BaseException:
        for stream in streams.values():
            stream.close()
        raise
    with image:
        media = image.media
        assert media is not None
        used = {str(c["name"]) for c in media.containers}
        unused = [name for name in names if name not in used]
        if unused:
            raise InvalidInput(
                f"{', '.join(unused)}: not part of the image that {names[0]} "
                "starts; send only one image's files; nothing was stored",
                key="not_part_of_image",
                params={"files": ", ".join(unused), "first": names[0]},
            )
        return hash_media(image, media.format, names[0], image.size, IntegrityError)


def _check_declared(pending: PendingIntake, media: MediaFacts, staging: _Staging) -> None:
    observed = media.digests.hashes()
    differ = sorted(n for n, v in pending.declared.items() if observed[n] != v)
    if not differ or pending.accept_mismatch:
        return
    hint, key = "", "declared_hash_mismatch"
    params = mismatch_params(pending.source_name, differ, pending.declared, observed)
    for name, digests in zip(staging.names, staging.digests, strict=True):
        if any(digests.hashes()[n] == v for n, v in pending.declared.items()):
            hint = (
                f" (the declared hash is that of the container file {name}, not of the "
                "media it carries: declare the hash of the acquired disk)"
            )
            key, params["container"] = "declared_hash_of_container", name
    raise DeclaredHashMismatch(
        f"{pending.source_name}: declared "
        + ", ".join(f"{n.upper()} {pending.declared[n]}" for n in differ)
        + f" but the {media.format} media in {len(staging.names)} file(s) hash to "
        + ", ".join(f"{n.upper()} {observed[n]}" for n in differ)
        + hint
        + "; nothing was stored and nothing recorded as evidence",
        mismatched=differ,
        declared=pending.declared,
        observed=observed,
        key=key,
        params=params,
    )


def _promote(pending: PendingIntake, staging: _Staging) -> list[StagedEvidence]:
    """Stream each staging copy into the evidence store (staged, not committed); its bytes
    must hash as they did when they arrived."""
    store = pending.store
    staged: list[StagedEvidence] = []
    try:
        for index, key in enumerate(container_keys(pending, staging.names)):
            with staging.open(index) as source:
                stage = store.stage_evidence(
                    key,
                    cast(BinaryIO, source),
                    size=staging.digests[index].size,
                    legal_hold=pending.legal_hold,
                )
            staged.append(stage)
            if stage.digests != staging.digests[index]:
                raise IntegrityError(
                    f"{staging.names[index]}: the staging copy no longer hashes as the "
                    "bytes received (changed in the store?); nothing was stored, send it "
                    "again and tell the evidence officer",
                    key="staging_changed",
                    params={"file": staging.names[index]},
                )
    except BaseException:
        for stage in reversed(staged):
            stage.abort()
        raise
    return staged


def take_in_upload(
    pending: PendingIntake, source: Reader, files: Sequence[tuple[str, int]]
) -> tuple[list[tuple[str, StoredEvidence]], MediaFacts]:
    """Stage every file of the upload, wait for the go-ahead (``source`` ends), read and
    check the media, check access again, then promote and commit the files (see the
    module's docstring). Returns the committed files and the media read."""
    names = [name for name, _size in files]
    staging = _Staging(pending, names)
    try:
        staging.write(source, [size for _name, size in files])
        if source.read(1):  # waits for the go-ahead (finish) or the abort
            raise InvalidInput(
                "the upload sent more bytes than its files hold", key="upload_more_than_files"
            )
        media = _read_media(staging)
        _check_declared(pending, media, staging)
        staged = _promote(pending, staging)
        try:
            pending.recheck()  # access and case state again, before anything is committed
        except BaseException:
            for stage in reversed(staged):
                stage.abort()
            raise
        committed = commit_all(pending, staged, names)
    finally:
        staging.remove()
        pending.store.close()
    return committed, media


__all__ = ["READ_THROUGH", "STAGING", "read_through", "take_in_upload"]
