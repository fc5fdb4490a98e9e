"""One file uploaded whose first bytes name no container: raw bytes, or a fixed VHD.

A fixed VHD is a raw disk followed by a 512-byte ``conectix`` footer, so it is known only
once its last byte is in, when its bytes are already in the store's upload. Its media is
the bytes before the footer: the store's single hashing pass marks that point
(``stage_evidence(mark_at=size - 512)``), so the disk's hashes and the file's come from
the same read, with no second pass and no staging copy. What the footer describes is
asked of libvhdi (the reader `lccu evidence add` uses): a fixed disk whose size is the
bytes before the footer is taken in as that disk; a footer libvhdi cannot read makes the
file evidence as received, marked (as `lccu evidence add` does); a footer that describes
another size is refused (its disk is not the bytes before it; `lccu evidence add` reads it
through libvhdi). The file is committed only after the go-ahead and the declared-hash
check against the media. A disk image told by its tail to be a container lccu does not
read (a DMG) is refused as `lccu evidence add` refuses it, and nothing is stored.
"""

from __future__ import annotations

from typing import BinaryIO, cast

from lccu.errors import DeclaredHashMismatch, ImageFormatError, InvalidInput
from lccu.evidence.intake import MediaFacts, PendingIntake, Reader, mismatch_params
from lccu.evidence.promote import commit_all
from lccu.hashing import Digests
from lccu.imaging.signatures import TAIL_BYTES, identify
from lccu.storage.base import StagedEvidence, StoredEvidence

FOOTER = 512


class _Tailed:
    """The upload's bytes as they go to the store, keeping its last bytes (the footer)."""

    def __init__(self, source: Reader) -> None:
        self._source = source
        self.tail = b""

    def read(self, size: int = -1, /) -> bytes:
        data = self._source.read(size)
        if data:
            self.tail = (self.tail + data[-TAIL_BYTES:])[-TAIL_BYTES:]
        return data


def media_of(
    pending: PendingIntake, head: bytes, tail: bytes, whole: Digests, before_footer: Digests | None
) -> MediaFacts | None:
    """The media of one uploaded file: None when it is raw (the bytes are the media), the
    disk of a fixed VHD, or the file as received when its footer cannot be read."""
    from lccu.imaging.vhd import fixed_media_size

    found = identify(head, tail)
    if found is not None and found.unsupported and pending.facts.item_type == "disk-image":
        from lccu.imaging.signatures import unsupported_error

        raise unsupported_error(pending.source_name, found)  # told by its tail (a DMG)
    if found is None or found.unsupported or found.kind != "vhd" or before_footer is None:
        return None
    try:
        media_size = fixed_media_size(tail, whole.size)
    except ImageFormatError as exc:  # still evidence as received, marked, never silent
        return MediaFacts("file", whole, unreadable=str(exc))
    if media_size != before_footer.size:
        raise InvalidInput(
            f"{pending.source_name} is a {found.description} whose footer describes a "
            f"{media_size}-byte disk in {before_footer.size} bytes before it: its disk is "
            "not the bytes received. Take it in with `lccu evidence add CASE "
            f"{pending.source_name}` (read through libvhdi); nothing was stored",
            key="vhd_footer_size",
            params={
                "file": pending.source_name,
                "media_size": media_size,
                "before": before_footer.size,
            },
        )
    return MediaFacts("vhd", before_footer)


def _check_declared(
    pending: PendingIntake, media: MediaFacts | None, stage: StagedEvidence
) -> None:
    observed = (media.digests if media else stage.digests).hashes()
    differ = sorted(n for n, v in pending.declared.items() if observed[n] != v)
    if not differ or pending.accept_mismatch:
        return
    carried = (
        f"the {media.format} media in it"
        if media and media.format != "file"
        else "the bytes received"
    )
    hint, key = "", "declared_hash_mismatch"
    params = mismatch_params(pending.source_name, differ, pending.declared, observed)
    if (
        media
        and media.format != "file"
        and any(stage.digests.hashes()[n] == v for n, v in pending.declared.items())
    ):
        hint = (
            " (the declared hash is that of the container file, not of the disk it "
            "carries: declare the hash of the acquired disk)"
        )
        key, params["container"] = "declared_hash_of_container", pending.source_name
    raise DeclaredHashMismatch(
        f"{pending.source_name}: declared "
        + ", ".join(f"{n.upper()} {pending.declared[n]}" for n in differ)
        + f" but {carried} hash to "
        + ", ".join(f"{n.upper()} {observed[n]}" for n in differ)
        + hint
        + "; nothing was stored and nothing recorded as evidence (send the right file; an "
        "examiner who must keep a mismatching copy takes it in deliberately with `lccu "
        "evidence add --accept-mismatch`)",
        mismatched=differ,
        declared=pending.declared,
        observed=observed,
        key=key,
        params=params,
    )


def put_file(
    pending: PendingIntake, source: Reader, head: bytes
) -> tuple[list[tuple[str, StoredEvidence]], MediaFacts | None]:
    """Stage the upload's one file (hashing it, and its bytes before a possible footer, in
    one pass), wait for the go-ahead, tell its media, check the declared hashes against
    the media, then commit. ``head``: its first bytes (already in ``source``)."""
    store = pending.store
    tailed = _Tailed(source)
    stage: StagedEvidence | None = None
    try:
        stage = store.stage_evidence(
            pending.key,
            cast(BinaryIO, tailed),
            size=pending.size,
            legal_hold=pending.legal_hold,
            mark_at=pending.size - FOOTER if pending.size > FOOTER else None,
        )
        if source.read(1):  # waits for the go-ahead (finish) or the abort
            raise InvalidInput(
                "the upload sent more bytes than its file holds", key="upload_more_than_files"
            )
        media = media_of(pending, head, tailed.tail, stage.digests, stage.marked)
        _check_declared(pending, media, stage)
    except BaseException:
        if stage is not None:
            stage.abort()
        store.close()
        raise
    try:
        return commit_all(pending, [stage], [pending.source_name]), media
    finally:
        store.close()


__all__ = ["media_of", "put_file"]
