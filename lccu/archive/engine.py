"""Expand one container file into typed member records, members of members included.

The engine takes a file lccu has already written (an exported file, a carved item, a
member) whose format was detected from its content, and an output folder it owns. Every
member is written there under a number (``3.jpg``; the members of a nested ``3.zip`` under
``3.zip.members/``), never under its stored name, and hashed in the same pass; a member
that is itself a container is expanded at once, depth first, until
:class:`ExpansionLimits` says stop. Nothing here
touches a database, a queue or the evidence store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lccu.archive.detect import container_format
from lccu.archive.limits import ExpansionLimits
from lccu.archive.names import display_name, name_findings, safe_extension
from lccu.archive.output import Budget, LimitReached, MemberWriter
from lccu.archive.readers.base import NotDecrypted, Opened, ReadFailed
from lccu.archive.records import Container, Entry, Expansion, Member

ARROW = " -> "


class _TreeStopped(Exception):
    """The byte budget ran out: every container up to the top stops."""

    def __init__(self, limit: LimitReached) -> None:
        super().__init__(str(limit))
        self.limit = limit


@dataclass
class _Run:
    limits: ExpansionLimits
    passwords: Sequence[str]
    budget: Budget
    result: Expansion = field(default_factory=Expansion)

    def next_id(self) -> int:
        return len(self.result.members) + 1


def is_embedded_part(fmt: str, name: str) -> bool:
    """For OOXML and ODF documents only the embedded content counts as members (pictures,
    media, embedded objects, macros, thumbnails), not the document's own XML parts."""
    if fmt not in ("ooxml", "odf"):
        return True
    path = PurePosixPath(name)
    if name.endswith("/") or path.name in ("mimetype", "[Content_Types].xml"):
        return False
    return (not name.lower().endswith((".xml", ".rels"))
            and path.parts[:1] != ("META-INF",))


def open_container(path: Path, fmt: str, passwords: Sequence[str], name_hint: str,
                   limits: ExpansionLimits) -> AbstractContextManager[Opened]:
    """The reader for ``fmt``: pikepdf for PDF, py7zr for an encrypted 7z a case password
    opens, libarchive for everything else."""
    if fmt == "pdf":
        from lccu.archive.readers.pdf import open_pdf

        return open_pdf(path, passwords, limits.max_member_in_memory)
    if fmt == "7z":
        from lccu.archive.readers import sevenzip

        metadata, header_encrypted = sevenzip.sevenzip_metadata(path)
        if metadata.encrypted or header_encrypted:
            password = sevenzip.find_password(path, passwords) if passwords else None
            if password is not None:
                if header_encrypted:
                    metadata, _ = sevenzip.sevenzip_metadata(path, password)
                return sevenzip.open_encrypted_7z(path, password, metadata)
            if header_encrypted:
                raise NotDecrypted("the 7z member list is encrypted and no password from the "
                                   "case list opens it")
    from lccu.archive.readers.libarchive_reader import open_libarchive

    return open_libarchive(path, fmt, passwords, name_hint)


def _identify(member: Member, writer: MemberWriter) -> None:
    from lccu.fs.content import identify_head

    member.size = writer.size
    member.md5, member.sha1, member.sha256 = writer.digests()
    member.mime, member.description = identify_head(bytes(writer.head))
    member.stored = writer.path


def _member(run: _Run, container: Container, parent: int | None, entry: Entry) -> Member:
    member = Member(id=run.next_id(), parent=parent, depth=container.depth + 1,
                    provenance=container.provenance + ARROW + display_name(entry.name),
                    entry=entry, findings=name_findings(entry.name))
    if entry.kind in ("symlink", "hardlink"):
        member.findings.append(entry.kind)
    if entry.encrypted:
        member.findings.append("encrypted")
    run.result.members.append(member)
    return member


def _stop(container: Container, limit: str, message: str) -> None:
    container.complete = False
    container.stopped = container.stopped or limit
    container.problems.append(message)


def _read_members(run: _Run, container: Container, opened: Opened, out_dir: Path,
                  ancestors: list[str]) -> None:
    seen, made = 0, False
    for entry, pump in opened.members:
        if seen >= run.limits.max_members:
            _stop(container, "max_members", f"more than {run.limits.max_members} members: "
                  "the rest were not read (limit LCCU_ARCHIVE_MAX_MEMBERS)")
            return
        seen += 1
        if not is_embedded_part(container.format, entry.name):
            continue
        member = _member(run, container, container.member, entry)
        container.members += 1
        if pump is None:
            continue
        target = out_dir / f"{seen}{safe_extension(entry.name)}"
        if not made:
            out_dir.mkdir(parents=True, exist_ok=True)
            made = True
        try:
            with MemberWriter(target, run.budget, entry.compressed_size,
                              opened.consumed, entry.size) as writer:
                pump(writer.write)
            _identify(member, writer)
        except LimitReached as exc:
            member.findings.append(exc.finding)
            _stop(container, exc.limit, f"{member.provenance}: {exc}")
            if exc.limit == "max_total_bytes":
                raise _TreeStopped(exc) from exc
            return
        except NotDecrypted:
            member.findings.append("not-decrypted")
            continue
        except ReadFailed as exc:
            finding = ("too-large-in-memory" if type(exc).__name__ == "TooLarge"
                       else "unreadable")
            member.findings.append(finding)
            container.problems.append(f"{member.provenance}: {exc}")
            if exc.fatal:
                container.complete = False
                return
            continue
        if entry.encrypted:
            member.findings.append("password-used")
        _maybe_expand(run, container, member, target,
                      target.with_name(f"{target.name}.members"), ancestors)


def _maybe_expand(run: _Run, container: Container, member: Member, path: Path,
                  out_dir: Path, ancestors: list[str]) -> None:
    fmt = container_format(member.mime)
    if fmt is None or member.sha256 is None:
        return
    if member.sha256 in ancestors:  # a quine (droste.zip, r.gz): it would never end
        member.findings.append("not-expanded-quine")
        container.problems.append(
            f"{member.provenance}: recursive archive: the same bytes (SHA-256 "
            f"{member.sha256}) as an enclosing container; not opened again")
        return
    if member.depth >= run.limits.max_depth:
        member.findings.append("not-expanded-depth")
        return
    _expand(run, path, fmt, member.provenance, out_dir, member.depth, member.id,
            [*ancestors, member.sha256], PurePosixPath(member.entry.name).name)


def _expand(run: _Run, path: Path, fmt: str, provenance: str, out_dir: Path, depth: int,
            member_id: int | None, ancestors: list[str], name_hint: str) -> Container:
    container = Container(provenance=provenance, member=member_id, depth=depth, format=fmt)
    run.result.containers.append(container)
    try:
        with open_container(path, fmt, run.passwords, name_hint, run.limits) as opened:
            container.format, container.filters = opened.format, list(opened.filters)
            try:
                _read_members(run, container, opened, out_dir, ancestors)
            finally:
                container.encrypted = opened.encrypted
                container.password_used = opened.password_used
    except _TreeStopped as stop:
        _stop(container, stop.limit.limit, str(stop.limit))
        raise
    except NotDecrypted as exc:
        container.encrypted = True
        _stop(container, "encrypted", str(exc))
    except ReadFailed as exc:
        container.complete = False
        container.problems.append(str(exc))
    return container


def expand(path: Path, fmt: str, provenance: str, out_dir: Path, *,
           limits: ExpansionLimits | None = None, passwords: Sequence[str] = (),
           sha256: str | None = None, name_hint: str = "") -> Expansion:
    """Expand the container at ``path`` (detected as ``fmt``, see
    :func:`lccu.archive.detect.container_format`) into ``out_dir``.

    ``provenance`` names the container (``vol 2 / inode 39 /archive/file8.zip``); each
    member's provenance extends it. ``sha256`` is the container's own hash (a member with
    the same bytes is a quine and is not opened again). ``passwords`` are the case's list:
    they are tried on encrypted content and never appear in any record.
    """
    limits = limits or ExpansionLimits()
    run = _Run(limits, tuple(passwords), Budget(limits))
    with suppress(_TreeStopped):
        _expand(run, path, fmt, provenance, out_dir, 0, None, [sha256] if sha256 else [],
                name_hint or path.name)
    run.result.written = run.budget.written
    return run.result


def walk_members(result: Expansion) -> Iterator[Member]:
    """The members with data written, in order (for hashing, YARA and export)."""
    return (m for m in result.members if m.stored is not None)
