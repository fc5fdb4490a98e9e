"""Benchmark: ``lccu yara`` against the Debian ``yara`` command line on one 1 GiB image.

Both scan the same generated image (pseudo-random bytes with the bundled rules' artefacts
planted every MiB) with the same rule files, each in its own process, one after the other,
``--repeat`` times; the medians are printed. lccu always adds its bundled set, so the CLI
gets it too. Two rule sets:

- ``bundled-regex``: the bundled set plus a regex-heavy rule (a regular expression that
  starts with a character class, the kind libyara tries at very many places);
- ``sigbase``: the bundled set plus every signature-base file that Debian's yara 4.2.3 also
  compiles (with the external variables signature-base uses, all empty).

The script checks that both report the same (namespace, rule, string, offset) hits, and
samples the whole lccu process tree's memory (the parent and its YARA-X scanner processes)
for its peak: resident memory summed every 20 ms (which counts the segment memory the
processes share once per process) and proportional memory (PSS, shared pages counted once)
every 100 ms. CPU seconds (user + system of the whole tree) are printed beside wall time:
on a shared machine they move less than wall time. lccu's compiled-rules cache is warmed first
(the first load, which also chooses the engines, is timed separately). Run:
``python bench/yara.py --size-mib 1024 --set sigbase --repeat 3``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# This file is called yara.py (as the issue asks): keep its folder from shadowing yara-python.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import psutil  # noqa: E402

from lccu.scan.bundled import bundled_rules_dir  # noqa: E402
from lccu.testing.corpus import corpus_dir  # noqa: E402

MiB = 1024 * 1024
OUT = _HERE / "out"
EXTERNALS = ("filename", "filepath", "extension", "filetype", "owner")
DEFINES = [a for e in EXTERNALS for a in ("-d", f"{e}=")]
HitKey = tuple[str, str, str, int]
REGEX_RULE = """rule bench_regex_heavy {
    strings:
        $addr = /[13][a-km-zA-HJ-NP-Z1-9]{25,34}/ fullword ascii
    condition:
        $addr
}
"""
PLANTS = [
    rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
    b" 1BoatSLRHtKNngkdXEeobR76b53LETtpyT ",
    b" bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq ",
    b" 0x52908400098527886E0F7030069857D2E4169EE7 ",
    b" 2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion ",
    b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
    b" AKIAIOSFODNN7EXAMPLE ",
    b"mimikatz # sekurlsa::logonpasswords\n",
    b"procdump64.exe -accepteula -ma lsass.exe out.dmp\n",
    "TeamViewer_Service.exe".encode("utf-16-le"),
]


def build_image(path: Path, size_mib: int) -> None:
    """Pseudo-random image, one planted artefact per MiB (straddling the MiB edge)."""
    if path.exists() and path.stat().st_size == size_mib * MiB:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1234)
    with path.open("wb") as fh:
        for i in range(size_mib):
            chunk = bytearray(rng.randbytes(MiB))
            blob = PLANTS[i % len(PLANTS)]
            chunk[MiB - len(blob) // 2 - 1 : MiB - 1] = blob[: len(blob) // 2]
            chunk[100_000 : 100_000 + len(blob)] = blob
            fh.write(chunk)


def cli_compiles(path: Path) -> bool:
    """Debian's yara may be older than yara-python: keep only files both can compile."""
    args = ["yara", "-w", *DEFINES, str(path), "/dev/null"]
    return subprocess.run(args, capture_output=True).returncode == 0


def rule_folder(which: str, tmp: Path) -> Path:
    """The extra rules given to both tools (lccu adds its bundled set itself)."""
    folder = tmp / "rules"
    folder.mkdir()
    if which == "bundled-regex":
        (folder / "regex_heavy.yar").write_text(REGEX_RULE)
    else:
        for p in sorted((corpus_dir() / "yara-signature-base").glob("*.yar")):
            if cli_compiles(p):
                shutil.copy(p, folder / p.name)
    return folder


def pss_mib(pid: int) -> float:
    """Proportional set size: shared pages (the segment memory the scanner processes share
    with the parent, libraries) counted once across the tree, not once per process."""
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float, float, float, str]:
    """(seconds, CPU seconds, peak MiB of the process tree's summed RSS, peak summed PSS,
    stdout) of one command."""
    peak = peak_pss = 0.0
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as out_file:
        started = time.perf_counter()
        proc = psutil.Popen(args, stdout=out_file, stderr=subprocess.PIPE, env=env)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, peak_pss
            rounds = 0
            while not done.is_set():
                try:
                    tree = [proc, *proc.children(recursive=True)]
                    peak = max(peak, sum(p.memory_info().rss for p in tree) / MiB)
                    if rounds % 5 == 0:  # smaps_rollup costs more: every 100 ms
                        peak_pss = max(peak_pss, sum(pss_mib(p.pid) for p in tree))
                except (psutil.Error, OSError):
                    pass
                rounds += 1
                done.wait(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        _out, err = proc.communicate()
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime
                                                            - cpu_before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"{args[0]} failed ({proc.returncode}): {err.decode()[-2000:]}")
        out_file.seek(0)
        return elapsed, cpu, peak, peak_pss, out_file.read().decode("utf-8", "replace")


def cli_args(rules: Path, image: Path) -> list[str]:
    files = [(f"lccu.{p.stem}", p) for p in sorted(bundled_rules_dir().glob("*.yar"))]
    files += [(f"{rules.name}.{p.stem}", p) for p in sorted(rules.glob("*.yar"))]
    return ["yara", "-w", "-e", "-s", *DEFINES, *[f"{ns}:{p}" for ns, p in files], str(image)]


def cli_hits(stdout: str) -> set[HitKey]:
    hits: set[HitKey] = set()
    current = ("", "")
    for line in stdout.splitlines():
        m = re.match(r"^0x([0-9a-f]+):(\$\w*):", line)
        if m:
            hits.add((*current, m.group(2), int(m.group(1), 16)))
        elif line:
            ns, _, rule = line.split(" ", 1)[0].partition(":")
            current = (ns, rule)
    return hits


def lccu_hits(stdout: str) -> tuple[set[HitKey], list[dict[str, str]], dict[str, int]]:
    data = json.loads(stdout)
    engines: dict[str, int] = {}
    for f in data["yara_rules"]["files"]:
        label = f"{f['engine']} {f['engine_version']}"
        engines[label] = engines.get(label, 0) + 1
    return ({(h["namespace"], h["rule"], h["string"], h["offset"]) for h in data["hits"]},
            data["errors"], engines)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--set", choices=["bundled-regex", "sigbase"], default="sigbase")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    image = OUT / f"yara-bench-{args.size_mib}MiB.raw"
    build_image(image, args.size_mib)
    size = image.stat().st_size
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        rules = rule_folder(args.set, tmp)
        env = {**os.environ, "LCCU_HOME": str(tmp / "home"), "LCCU_RULES": ""}
        lccu = [sys.executable, "-m", "lccu.cli.main", "yara", str(image), "--rules",
                str(rules), "--json"]
        with image.open("rb") as fh:  # page cache warm for both
            while fh.read(16 * MiB):
                pass
        first_s, _cpu, first_rss, _pss, _ = run_measured(
            [sys.executable, "-c", "import sys; from lccu.scan import load_rules; "
             f"load_rules([{str(rules)!r}])"], env)
        print(f"set {args.set}: {len(list(rules.glob('*.yar')))} extra rule files + bundled; "
              f"first load (compile, choose engines, cache) {first_s:.1f} s, "
              f"peak {first_rss:.0f} MiB")
        cli_runs, lccu_runs = [], []
        for i in range(args.repeat):
            print(f"run {i + 1}: load before {load()}", flush=True)
            c_s, c_cpu, c_rss, _c_pss, c_out = run_measured(cli_args(rules, image), env)
            l_s, l_cpu, l_rss, l_pss, l_out = run_measured(lccu, env)
            cli_runs.append((c_s, c_cpu))
            lccu_runs.append((l_s, l_cpu, l_rss, l_pss))
            got, errors, engines = lccu_hits(l_out)
            want = cli_hits(c_out)
            print(f"  yara CLI {c_s:6.2f} s ({size / MiB / c_s:6.1f} MiB/s, CPU {c_cpu:.2f} s, "
                  f"{c_rss:.0f} MiB); lccu yara {l_s:6.2f} s ({size / MiB / l_s:6.1f} MiB/s, "
                  f"CPU {l_cpu:.2f} s, RSS sum {l_rss:.0f} MiB, PSS sum {l_pss:.0f} MiB); "
                  f"ratio {c_s / l_s:.2f}x (CPU {c_cpu / l_cpu:.2f}x); hits {len(want)} / "
                  f"{len(got)} identical: {got == want}; lccu errors {len(errors)}; "
                  f"engines {engines}; load after {load()}", flush=True)
            for problem in errors[:3]:
                print(f"  lccu problem: {problem}")
            if got != want:
                print("  only CLI:", sorted(want - got)[:5], "only lccu:", sorted(got - want)[:5])
                return 1
        c_med = statistics.median(r[0] for r in cli_runs)
        l_med = statistics.median(r[0] for r in lccu_runs)
        c_cpu_med = statistics.median(r[1] for r in cli_runs)
        l_cpu_med = statistics.median(r[1] for r in lccu_runs)
        print(f"median: yara CLI {c_med:.2f} s, lccu yara {l_med:.2f} s, ratio "
              f"{c_med / l_med:.2f}x; CPU {c_cpu_med:.2f} s vs {l_cpu_med:.2f} s; lccu peak "
              f"(process tree) RSS sum {max(r[2] for r in lccu_runs):.0f} MiB, PSS sum "
              f"{max(r[3] for r in lccu_runs):.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
