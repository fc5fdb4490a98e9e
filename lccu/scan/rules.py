"""Load YARA rule files into one compiled, cached, identified rule set.

Each file is its own namespace, so two zones may both have a rule called ``suspicious``.
Each file also gets its engine, YARA-X or libyara, chosen once when the set is first loaded
(:mod:`lccu.scan.selection`); a file whose rules differ on YARA-X only in some of them may be
cut, those rules running on libyara and the rest on YARA-X (both under the file's
namespace). Compiling and choosing for signature-base takes seconds, so
the result is saved under ``<LCCU_HOME>/cache/yara/<key>``: ``.json`` (the engine of each
file and why, the skipped files), ``.yarc`` (libyara's files) and ``.yarx`` (YARA-X's).
The identity is the SHA-256 over both engines' versions, the selection scheme's version,
the externals and every (namespace, file SHA-256) pair: equal identities mean the same
rules on the same engines, and it is what the custody log records. Rules are compiled from
the exact bytes hashed (no re-read), and ``include`` is refused because an included file
would escape the identity.

Within a process a loaded set is kept (:func:`load_rules` keyed by the identity), so a
worker's tasks and files do not reload signature-base from disk each time; a cached load
checks the YARA-X blob by its SHA-256 rather than deserializing it (a second of CPU for
signature-base, which the scanner processes do anyway) and takes the longest match from the
cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yara

from lccu.errors import RuleError
from lccu.scan.bundled import bundled_rules_dir
from lccu.scan.engines import (
    LIBYARA,
    YARA_X,
    Engine,
    Matched,
    compile_libyara,
    compile_yarax,
    engine_version,
    match_libyara,
    match_yarax,
)
from lccu.scan.lengths import LENGTHS_VERSION, longest_match
from lccu.scan.selection import (
    SELECTION_VERSION,
    Candidate,
    EngineChoice,
    choose_engines,
    first_line,
)
from lccu.scan.split import parse_rules

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
    """Compiled rules plus what they were compiled from (for custody and overlap sizing).

    Each rule file runs on one engine, or is cut in two (:mod:`lccu.scan.selection`):
    ``libyara`` holds the files (and parts) on libyara, ``yarax_blob`` the serialized YARA-X
    rules of the others (turned into rules on first use, :attr:`yarax`, and sent as they are
    to scanner processes).
    """

    sources: tuple[RuleSource, ...]
    identity: str
    choices: tuple[EngineChoice, ...]
    libyara: yara.Rules | None = None
    yarax_blob: bytes | None = field(default=None, repr=False)
    errors: tuple[RuleFileError, ...] = ()
    from_cache: bool = False

    @cached_property
    def yarax(self) -> Any:
        """The YARA-X rules (None when every file runs on libyara)."""
        if self.yarax_blob is None:
            return None
        import yara_x

        return yara_x.Rules.deserialize_from(io.BytesIO(self.yarax_blob))

    def match(self, *, data: bytes | None = None, path: str | None = None,
              externals: Mapping[str, str] | None = None, timeout: int) -> Matched:
        """Every rule file on its engine, in this thread, over ``data`` or the file ``path``
        (raises :class:`~lccu.scan.engines.ScanTimeout` / ``EngineError``)."""
        found = Matched()
        if self.libyara is not None:
            found.extend(match_libyara(self.libyara, data=data, path=path, externals=externals,
                                       timeout=timeout))
        if self.yarax is not None:
            found.extend(match_yarax(self.yarax, data=data, path=path, externals=externals,
                                     timeout=timeout))
        return found

    def engine_of(self, namespace: str) -> Engine:
        """The engine that scans rule file ``namespace`` (a cut file: most of its rules)."""
        return next(c.engine for c in self.choices if c.namespace == namespace)

    def engine_of_rule(self, namespace: str, rule: str) -> Engine:
        """The engine that scans rule ``rule`` of rule file ``namespace``."""
        choice = next(c for c in self.choices if c.namespace == namespace)
        return LIBYARA if rule in choice.libyara_rules else choice.engine

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

    def files(self) -> list[dict[str, Any]]:
        """Each rule file: namespace, path, SHA-256, engine, its version, why not YARA-X."""
        choices = {c.namespace: c for c in self.choices}
        return [{"namespace": s.namespace, "path": str(s.path), "sha256": s.sha256,
                 **{k: v for k, v in choices[s.namespace].to_dict().items()
                    if k != "namespace"}} for s in self.sources]

    def report_record(self) -> dict[str, Any]:
        """The ``yara_rules`` member of report.json: identity, files with engines, skipped."""
        return {"identity": self.identity, "files": self.files(),
                "skipped": [e.to_dict() for e in self.errors]}

    def custody(self) -> dict[str, Any]:
        """What the custody log and the report record about the rules used for a scan."""
        return {
            "identity": self.identity,
            "yara_version": yara.YARA_VERSION,
            "yara_x_version": engine_version(YARA_X),
            "files": self.files(),
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
    """SHA-256 over both engines' versions, the way engines are chosen, the externals and each
    (namespace, file hash): equal identities mean equal engines on equal rules."""
    h = hashlib.sha256(f"yara {yara.YARA_VERSION}\nyara-x {engine_version(YARA_X)}\n"
                       f"selection {SELECTION_VERSION}\n".encode())
    h.update(json.dumps(EXTERNALS, sort_keys=True).encode() + b"\n")
    for s in sources:
        h.update(f"{s.namespace}\0{s.sha256}\n".encode())
    return h.hexdigest()


def _file_error(src: RuleSource, exc: yara.Error) -> RuleFileError:
    text = str(exc)
    m = _LINE.search(text)
    line = int(m.group(1) or m.group(2)) if m else None
    return RuleFileError(src.path, src.namespace, line, text)


def _save_atomically(target: Path, rules: RuleSet) -> None:
    """``<key>.yarc`` (libyara files), ``<key>.yarx`` (YARA-X files), then ``<key>.json``,
    whose presence says the entry is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if rules.libyara is not None:
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        os.close(fd)
        try:
            rules.libyara.save(tmp)
            os.replace(tmp, target.with_suffix(".yarc"))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    if rules.yarax_blob is not None:
        blob_tmp = target.with_suffix(".yarx.tmp")
        blob_tmp.write_bytes(rules.yarax_blob)
        os.replace(blob_tmp, target.with_suffix(".yarx"))
    sidecar = {"identity": rules.identity, "errors": [e.to_dict() for e in rules.errors],
               "choices": [c.to_dict() for c in rules.choices],
               "yarax_sha256": _digest(rules.yarax_blob),
               "longest_match": [LENGTHS_VERSION, rules.longest_match]}
    meta_tmp = target.with_suffix(".json.tmp")
    meta_tmp.write_text(json.dumps(sidecar, sort_keys=True))
    os.replace(meta_tmp, target.with_suffix(".json"))


def _digest(blob: bytes | None) -> str | None:
    return None if blob is None else hashlib.sha256(blob).hexdigest()


def _from_cache(entry: Path, sources: list[RuleSource]) -> RuleSet | None:
    """The cached rule set for ``entry`` (``<cache>/<key>``), or None if absent or damaged."""
    sidecar_path = entry.with_suffix(".json")
    if not sidecar_path.exists():
        return None
    try:
        sidecar = json.loads(sidecar_path.read_text())
        skipped = {e["namespace"] for e in sidecar["errors"]}
        errors = tuple(RuleFileError(Path(e["path"]), e["namespace"], e["line"], e["message"])
                       for e in sidecar["errors"])
        choices = tuple(EngineChoice.from_dict(c) for c in sidecar["choices"])
        kept = tuple(s for s in sources if s.namespace not in skipped)
        if {c.namespace for c in choices} != {s.namespace for s in kept}:
            return None
        libyara = yara.load(str(entry.with_suffix(".yarc"))) \
            if any(c.engine == LIBYARA for c in choices) else None
        blob = entry.with_suffix(".yarx").read_bytes() \
            if any(c.engine == YARA_X for c in choices) else None
        rules = RuleSet(kept, sidecar["identity"], choices, libyara, blob, errors,
                        from_cache=True)
        if blob is not None and sidecar.get("yarax_sha256") != _digest(blob):
            if "yarax_sha256" in sidecar:
                return None  # changed on disk: rebuilt, never trusted
            rules.yarax  # noqa: B018 - an older entry: a damaged blob is found here
        version, longest = sidecar.get("longest_match") or (None, None)
        if version == LENGTHS_VERSION:
            vars(rules)["longest_match"] = longest  # the cached_property's value
        return rules
    except (yara.Error, OSError, ValueError, KeyError, TypeError):
        return None  # a stale or damaged cache entry is rebuilt
    except Exception as exc:  # yara_x raises its own IOError type for a damaged blob
        if type(exc).__module__.startswith("yara_x") or "deserializ" in str(exc).lower():
            return None
        raise


def default_cache_dir() -> Path:
    """``<LCCU_HOME>/cache/yara``."""
    from lccu.config import load_settings

    return load_settings().home / "cache" / "yara"


#: Rule sets loaded in this process, by identity key, cache entry and the files' paths (which
#: the report names): a few, most recent last.
_LOADED: OrderedDict[tuple[str, ...], RuleSet] = OrderedDict()
_LOADED_MAX = 4
_LOADED_LOCK = threading.Lock()


def forget_loaded_rules() -> None:
    """Drop the rule sets this process keeps (tests of the on-disk cache)."""
    with _LOADED_LOCK:
        _LOADED.clear()


def load_rules(
    paths: Iterable[Path | str] | None = None,
    *,
    bundled: bool = True,
    cache_dir: Path | None = None,
    skip_invalid: bool = False,
) -> RuleSet:
    """Compile the bundled rules plus ``paths`` (default: LCCU_RULES) once, then reuse the cache.

    A file that does not compile raises :class:`RuleError` naming the file and line; with
    ``skip_invalid=True`` it is left out and listed in ``RuleSet.errors`` instead. The files
    are read and hashed on every call (their identity is what custody records); a set with
    the same identity already loaded in this process is returned as it is.
    """
    if paths is None:
        from lccu.config import load_settings

        paths = load_settings().rules
    sources = collect_sources(paths, bundled=bundled)
    key = rule_set_identity(sources) + ("-skip" if skip_invalid else "")
    entry = (cache_dir or default_cache_dir()) / key
    memo = (key, str(entry), *(str(s.path) for s in sources))
    with _LOADED_LOCK:
        loaded = _LOADED.get(memo)
        if loaded is not None:
            _LOADED.move_to_end(memo)
            return loaded
    rules = _from_cache(entry, sources) or _load_fresh(entry, sources, skip_invalid)
    with _LOADED_LOCK:
        _LOADED[memo] = rules
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return rules


def _load_fresh(entry: Path, sources: list[RuleSource], skip_invalid: bool) -> RuleSet:
    """Choose the engines, compile, and save the result as cache entry ``entry``."""
    choices, failed = choose_engines(
        [Candidate(s.namespace, s.text, s.sha256) for s in sources], EXTERNALS)
    by_namespace = {s.namespace: s for s in sources}
    broken = [_file_error(by_namespace[c.namespace], exc) for c, exc in failed]
    if broken and not skip_invalid:
        first = broken[0]
        where = f"{first.path}, line {first.line}" if first.line else str(first.path)
        raise RuleError(
            f"{where}: {first.message}; fix the rule, remove the file, or scan with "
            f"skip_invalid=True ({len(broken)} broken file(s))")
    bad = {b.namespace for b in broken}
    kept = tuple(s for s in sources if s.namespace not in bad)
    if not kept:
        raise RuleError("every rule file failed to compile; nothing to scan with")
    rules = RuleSet(kept, rule_set_identity(kept), tuple(choices),
                    *_compile_by_engine(kept, choices), errors=tuple(broken))
    # the cache is an optimisation; a read-only home must not stop a scan
    with contextlib.suppress(yara.Error, OSError):
        _save_atomically(entry, rules)
    return rules


def _compile_by_engine(kept: tuple[RuleSource, ...],
                       choices: list[EngineChoice]) -> tuple[yara.Rules | None, bytes | None]:
    """libyara rules of the libyara files, serialized YARA-X rules of the others."""
    import yara_x

    engines = {c.namespace: c.engine for c in choices}
    on_libyara = {s.namespace: s.text for s in kept if engines[s.namespace] == LIBYARA}
    on_yarax = {s.namespace: s.text for s in kept if engines[s.namespace] == YARA_X}
    for choice in choices:
        if choice.libyara_rules:  # a file cut in two: each engine compiles its part
            parsed = parse_rules(on_yarax[choice.namespace])
            if parsed is None:
                raise RuleError(f"{choice.namespace}: the rule file was cut when its engines "
                                "were chosen but cannot be cut now; report this as a bug")
            on_libyara[choice.namespace] = parsed.part(choice.libyara_rules)
            on_yarax[choice.namespace] = parsed.part(
                n for n in parsed.names if n not in choice.libyara_rules)
    libyara = blob = None
    try:
        if on_libyara:
            libyara = compile_libyara(on_libyara, EXTERNALS)
        if on_yarax:
            out = io.BytesIO()
            compile_yarax(on_yarax, EXTERNALS).serialize_into(out)
            blob = out.getvalue()
    except (yara.Error, yara_x.CompileError) as exc:
        raise RuleError(
            f"the rule files compile one by one but not together: {first_line(exc)}; "
            "look for a global rule or import shared between files") from exc
    return libyara, blob
