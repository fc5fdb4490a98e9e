"""Load YARA rule files into one compiled, cached, identified rule set.

Each file is its own namespace, so two zones may both have a rule called ``suspicious``.
Compiling signature-base takes seconds, so the compiled form is saved under
``<LCCU_HOME>/cache/yara/<identity>.yarc``; the identity is the SHA-256 over the YARA
version and every (namespace, file SHA-256) pair and is what the custody log records.
Rules are compiled from the exact bytes hashed (no re-read), and ``include`` is refused
because an included file would escape the identity.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yara

from lccu.errors import RuleError
from lccu.scan.bundled import bundled_rules_dir
from lccu.scan.lengths import longest_match

#: External variables some rule sets (signature-base, THOR) expect; empty unless a per-file
#: scan knows better.
EXTERNALS: dict[str, str] = {
    "filename": "",
    "filepath": "",
    "extension": "",
    "filetype": "",
    "owner": "",
}
RULE_SUFFIXES = (".yar", ".yara")
_LINE = re.compile(r"line (\d+)|\((\d+)\)")


@dataclass(frozen=True)
class RuleSource:
    """One rule file: its namespace, where it was read and the SHA-256 of its bytes."""

    namespace: str
    path: Path
    sha256: str
    text: str = field(repr=False)


@dataclass(frozen=True)
class RuleFileError:
    """A rule file that did not compile and was skipped (``skip_invalid=True``)."""

    path: Path
    namespace: str
    line: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for reports and the custody log."""
        return {
            "path": str(self.path),
            "namespace": self.namespace,
            "line": self.line,
            "message": self.message,
        }


@dataclass
class RuleSet:
    """Compiled rules plus what they were compiled from (for custody and overlap sizing)."""

    compiled: yara.Rules
    sources: tuple[RuleSource, ...]
    identity: str
    errors: tuple[RuleFileError, ...] = ()
    from_cache: bool = False

    @cached_property
    def longest_match(self) -> int | None:
        """Longest match any string can have (None if some string is unbounded)."""
        longest = 0
        for src in self.sources:
            length = longest_match(src.text)
            if length is None:
                return None
            longest = max(longest, length)
        return longest

    def custody(self) -> dict[str, Any]:
        """What the custody log records about the rules used for a scan."""
        return {
            "identity": self.identity,
            "yara_version": yara.YARA_VERSION,
            "files": [
                {"namespace": s.namespace, "path": str(s.path), "sha256": s.sha256}
                for s in self.sources
            ],
            "skipped": [e.to_dict() for e in self.errors],
        }


def _files_under(root: Path, prefix: str) -> list[tuple[str, Path]]:
    """Rule files of one configured path with their namespaces."""
    if root.is_file():
        return [(prefix or root.stem, root)]
    if not root.is_dir():
        raise RuleError(
            f"rule path {root} does not exist; check --rules / LCCU_RULES "
            "(a rule file or a directory of .yar files)"
        )
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in RULE_SUFFIXES and path.is_file():
            rel = path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
            found.append((f"{prefix or root.name}.{rel}", path))
    return found


def collect_sources(paths: Iterable[Path | str], *, bundled: bool = True) -> list[RuleSource]:
    """Read every rule file (bundled ones first) into :class:`RuleSource` records."""
    entries: list[tuple[str, Path]] = []
    if bundled:
        entries += _files_under(bundled_rules_dir(), "lccu")
    for p in paths:
        entries += _files_under(Path(p).expanduser(), "")
    sources: list[RuleSource] = []
    seen: dict[str, Path] = {}
    for namespace, path in entries:
        if namespace in seen:
            raise RuleError(
                f"rule files {seen[namespace]} and {path} would share the namespace "
                f"{namespace!r}; rename one of them"
            )
        seen[namespace] = path
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RuleError(f"{path}: not UTF-8 text ({exc}); save the rule file as UTF-8") from exc
        sources.append(RuleSource(namespace, path, hashlib.sha256(data).hexdigest(), text))
    if not sources:
        raise RuleError("no YARA rule files found; give a rule file or directory with --rules")
    return sources


def rule_set_identity(sources: Iterable[RuleSource]) -> str:
    """SHA-256 over the YARA version, the externals and each (namespace, file hash)."""
    h = hashlib.sha256(f"yara {yara.YARA_VERSION}\n".encode())
    h.update(json.dumps(EXTERNALS, sort_keys=True).encode() + b"\n")
    for s in sources:
        h.update(f"{s.namespace}\0{s.sha256}\n".encode())
    return h.hexdigest()


def _compile(sources: Iterable[RuleSource]) -> yara.Rules:
    return yara.compile(
        sources={s.namespace: s.text for s in sources}, externals=EXTERNALS, includes=False
    )


def _file_error(src: RuleSource, exc: yara.Error) -> RuleFileError:
    text = str(exc)
    m = _LINE.search(text)
    line = int(m.group(1) or m.group(2)) if m else None
    return RuleFileError(src.path, src.namespace, line, text)


def _find_broken(sources: list[RuleSource]) -> list[RuleFileError]:
    """Compile each file alone to name the broken ones."""
    broken = []
    for src in sources:
        try:
            _compile([src])
        except yara.Error as exc:
            broken.append(_file_error(src, exc))
    return broken


def _save_atomically(rules: yara.Rules, target: Path, sidecar: dict[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        rules.save(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    meta_tmp = target.with_suffix(".json.tmp")
    meta_tmp.write_text(json.dumps(sidecar, sort_keys=True))
    os.replace(meta_tmp, target.with_suffix(".json"))


def default_cache_dir() -> Path:
    """``<LCCU_HOME>/cache/yara``."""
    from lccu.config import load_settings

    return load_settings().home / "cache" / "yara"


def load_rules(
    paths: Iterable[Path | str] | None = None,
    *,
    bundled: bool = True,
    cache_dir: Path | None = None,
    skip_invalid: bool = False,
) -> RuleSet:
    """Compile the bundled rules plus ``paths`` (default: LCCU_RULES) once, then reuse the cache.

    A file that does not compile raises :class:`RuleError` naming the file and line; with
    ``skip_invalid=True`` it is left out and listed in ``RuleSet.errors`` instead.
    """
    if paths is None:
        from lccu.config import load_settings

        paths = load_settings().rules
    sources = collect_sources(paths, bundled=bundled)
    key = rule_set_identity(sources) + ("-skip" if skip_invalid else "")
    cache = (cache_dir or default_cache_dir()) / f"{key}.yarc"
    sidecar_path = cache.with_suffix(".json")
    if cache.exists() and sidecar_path.exists():
        try:
            compiled = yara.load(str(cache))
            sidecar = json.loads(sidecar_path.read_text())
            skipped = {e["namespace"] for e in sidecar["errors"]}
            errors = tuple(
                RuleFileError(Path(e["path"]), e["namespace"], e["line"], e["message"])
                for e in sidecar["errors"]
            )
            kept = tuple(s for s in sources if s.namespace not in skipped)
            return RuleSet(compiled, kept, sidecar["identity"], errors, from_cache=True)
        except (yara.Error, OSError, ValueError, KeyError):
            pass  # a stale or damaged cache entry is rebuilt below
    try:
        compiled = _compile(sources)
        kept_list, broken = list(sources), []
    except yara.Error as exc:
        broken = _find_broken(sources)
        if not broken:
            raise RuleError(
                f"the rule files compile one by one but not together: {exc}; "
                "look for a global rule or import shared between files"
            ) from exc
        if not skip_invalid:
            first = broken[0]
            where = f"{first.path}, line {first.line}" if first.line else str(first.path)
            raise RuleError(
                f"{where}: {first.message}; fix the rule, remove the file, or scan with "
                f"skip_invalid=True ({len(broken)} broken file(s))"
            ) from exc
        bad = {b.namespace for b in broken}
        kept_list = [s for s in sources if s.namespace not in bad]
        if not kept_list:
            raise RuleError("every rule file failed to compile; nothing to scan with") from exc
        try:
            compiled = _compile(kept_list)
        except yara.Error as exc2:
            raise RuleError(f"rules still fail after skipping broken files: {exc2}") from exc2
    kept = tuple(kept_list)
    identity = rule_set_identity(kept)
    errors = tuple(broken)
    # the cache is an optimisation; a read-only home must not stop a scan
    with contextlib.suppress(yara.Error, OSError):
        _save_atomically(
            compiled, cache, {"identity": identity, "errors": [e.to_dict() for e in errors]}
        )
    return RuleSet(compiled, kept, identity, errors, from_cache=False)
