"""The YARA engine differential over the whole of signature-base (the suite samples it).

    python bench/yara_differential.py

Loads every signature-base file with lccu (timing the first load, which compiles both
engines and chooses per file and per rule, and the cached one), prints the files left wholly
on libyara, the files cut per rule (and which rules run on libyara) and why, then, for each
file, data planted with its text strings (``lccu.testing.planted_rules``, data the choice
never saw): lccu's hits (namespace, rule, string, offset, length) must equal libyara's
(yara-python compiled here, whole files), and every rule whose forced YARA-X hits differ from
libyara's on any of the data must run on libyara. Exit status 1 if either fails.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

# bench/yara.py sits beside this file: keep the folder from shadowing yara-python.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import yara  # noqa: E402
import yara_x  # noqa: E402

from lccu.scan import load_rules, scan_file  # noqa: E402
from lccu.scan.rules import EXTERNALS  # noqa: E402
from lccu.testing.corpus import corpus_file  # noqa: E402
from lccu.testing.planted_rules import planted, text_strings  # noqa: E402


def main() -> int:
    base = corpus_file("yara-signature-base")
    files = sorted(base.glob("*.yar"))
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        t0, c0 = time.perf_counter(), time.process_time()
        rules = load_rules([base], bundled=False, cache_dir=cache)
        first = (time.perf_counter() - t0, time.process_time() - c0)
        t0 = time.perf_counter()
        load_rules([base], bundled=False, cache_dir=cache).yarax  # noqa: B018
        cached = time.perf_counter() - t0
        on_libyara = [f for f in rules.files() if f["engine"] == "libyara"]
        cut = [f for f in rules.files() if f["split"]]
        print(f"{len(files)} files; first load {first[0]:.1f} s ({first[1]:.1f} s CPU), "
              f"cached load {cached:.1f} s; peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        print(f"wholly on YARA-X: {len(files) - len(on_libyara) - len(cut)}, wholly on "
              f"libyara: {len(on_libyara)}, cut per rule: {len(cut)} "
              f"({sum(len(f['split']['rules']) for f in cut)} rules on libyara)")
        for f in on_libyara + cut:
            print(f"  {f['namespace']}: {f['reason']}")
        oracle = yara.compile(filepaths={f"yara-signature-base.{p.stem}": str(p)
                                         for p in files}, externals=EXTERNALS)
        compiler = yara_x.Compiler()
        for name, value in EXTERNALS.items():
            compiler.define_global(name, value)
        for p in files:
            compiler.new_namespace(f"yara-signature-base.{p.stem}")
            compiler.add_source(p.read_text())
        forced = yara_x.Scanner(compiler.build())
        unequal, differing = [], set()
        data = Path(tmp) / "data.bin"
        for i, p in enumerate(files):
            data.write_bytes(planted(text_strings(p.read_text()), i))
            try:
                want = {(m.namespace, m.rule, s.identifier, x.offset, x.matched_length)
                        for m in oracle.match(str(data), externals=EXTERNALS)
                        for s in m.strings for x in s.instances}
            except yara.Error as exc:
                print(f"  libyara failed on {p.name}'s data: {exc}")
                continue
            got = {(h.namespace, h.rule, h.string, h.offset, h.length)
                   for h in scan_file(data, rules, name="") if h.string}
            if got != want:
                unequal.append(p.name)
            x_hits = {(r.namespace, r.identifier, pat.identifier, m.offset, m.length)
                      for r in forced.scan(data.read_bytes()).matching_rules
                      for pat in r.patterns for m in pat.matches}
            differing |= {(h[0], h[1]) for h in x_hits ^ want}
    missed = sorted((ns, rule) for ns, rule in differing
                    if rules.engine_of_rule(ns, rule) != "libyara")
    print(f"planted data: {len(files)} files, lccu hits unequal to libyara's: {unequal or 'none'}")
    print(f"rules whose forced YARA-X hits differ from libyara's: {sorted(differing) or 'none'}")
    print(f"of those, rules lccu runs on YARA-X: {missed or 'none'}")
    return 1 if unequal or missed else 0


if __name__ == "__main__":
    sys.exit(main())
