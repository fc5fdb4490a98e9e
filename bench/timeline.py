"""`lccu timeline --format bodyfile` against The Sleuth Kit's `fls -m / -r` on one image.

    python bench/timeline.py [--files 500000] [--per-dir 1000] [--image PATH] [--keep]
                             [--pytsk3]

Builds (unless ``--image`` names one) an ext4 image holding ``--files`` empty files in
directories of ``--per-dir`` with ``mkfs.ext4 -d`` (no mount, no root needed), deletes one
file in every directory with ``debugfs`` so deleted names are listed too, then runs each
tool once in its own process and reports wall time, CPU time (user + system, ``wait4``'s
rusage: on a shared, loaded machine the comparable figure), peak resident memory
(``ru_maxrss``) and line count, whether the sorted outputs are equal, and the load average
before and after. Output is a Markdown table for ``docs/benchmarks.md``. lccu's last
line says which walk ran (the C walk over libtsk, or pytsk3: ``docs/timeline.md``);
``--pytsk3`` adds a third run with the C extension switched off, for comparison.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_image(path: Path, files: int, per_dir: int, deleted_per_dir: int = 1) -> None:
    """ext4 with ``files`` empty files under ``d<N>/f<M>``, one deleted per directory."""
    with tempfile.TemporaryDirectory(prefix="lccu-bench-tree-") as tmp:
        tree = Path(tmp)
        dirs = (files + per_dir - 1) // per_dir
        for d in range(dirs):
            folder = tree / f"d{d:05d}"
            folder.mkdir()
            for f in range(min(per_dir, files - d * per_dir)):
                (folder / f"f{f:05d}.txt").touch()
        inodes = files + dirs + 1024
        size_mb = max(256, inodes * 512 // (1024 * 1024) + 128)
        subprocess.run(
            ["mkfs.ext4", "-q", "-F", "-N", str(inodes), "-d", str(tree), str(path), f"{size_mb}M"],
            check=True,
            timeout=3600,
            env={**os.environ, "E2FSPROGS_FAKE_TIME": "1700000000"},
        )
    commands = "".join(
        f"rm /d{d:05d}/f{f:05d}.txt\n" for d in range(dirs) for f in range(deleted_per_dir)
    )
    subprocess.run(
        ["debugfs", "-w", "-f", "-", str(path)],
        input=commands.encode(),
        check=True,
        capture_output=True,
        timeout=3600,
    )


def measure(args: list[str], out: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of one process writing its stdout to
    ``out`` (its stderr to ``out`` + ``.err``)."""
    with out.open("wb") as sink, out.with_suffix(".err").open("wb") as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=sink, stderr=errors)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args[0]} failed with status {status}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500_000)
    parser.add_argument("--per-dir", type=int, default=1000)
    parser.add_argument("--image", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the built image")
    parser.add_argument(
        "--pytsk3",
        action="store_true",
        help="also run lccu with its C walk switched off (the pytsk3 walk)",
    )
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lccu-bench-timeline-"))
    try:
        image = options.image
        if image is None:
            image = work / "many.ext4"
            started = time.perf_counter()
            build_image(image, options.files, options.per_dir)
            print(
                f"built {image} ({options.files} files) in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
        fls = shutil.which("fls") or "fls"
        # lccu as installed: a wheel install byte-compiles its modules; an editable one on a
        # machine with PYTHONDONTWRITEBYTECODE would compile them in every measured run
        import lccu

        subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(lccu.__file__).parent)],
                       check=True)  # fmt: skip
        command = ["timeline", str(image), "--timezone", "UTC", "--format", "bodyfile", "-o", "-"]
        runs = {
            "fls -m / -r": [fls, "-m", "/", "-r", str(image)],
            "lccu timeline --format bodyfile": [sys.executable, "-m", "lccu.cli.main", *command],
        }
        if options.pytsk3:
            runs["lccu, pytsk3 walk"] = [sys.executable, "-c", _WITHOUT_C, *command]
        results = {}
        load_before = os.getloadavg()[0]
        for number, (name, args) in enumerate(runs.items()):
            out = work / f"run{number}.body"
            wall, cpu, rss = measure(args, out)
            lines = sorted(out.read_bytes().splitlines())
            said = out.with_suffix(".err").read_text(errors="replace").strip().splitlines()
            results[name] = (wall, cpu, rss, lines, said[-1] if said else "")
        load_after = os.getloadavg()[0]
        fls_wall, fls_cpu, _, fls_lines, _ = results["fls -m / -r"]
        print(
            "| tool | wall s | CPU s | peak RSS MiB | lines | ratio wall / CPU | equal |\n"
            "|---|---|---|---|---|---|---|"
        )
        same = True
        for name, (wall, cpu, rss, lines, _said) in results.items():
            same = same and lines == fls_lines
            print(
                f"| {name} | {wall:.2f} | {cpu:.2f} | {rss / 1024:.0f} | {len(lines)} | "
                f"{wall / fls_wall:.2f}x / {cpu / fls_cpu:.2f}x | {lines == fls_lines} |"
            )
        for name, (*_, said) in results.items():
            if said:
                print(f"\n{name}: {said}")
        print(f"\nload average {load_before:.1f} before, {load_after:.1f} after")
        return 0 if same else 1
    finally:
        if options.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


#: lccu's command line with the C walk switched off (as where libtsk-dev was missing)
_WITHOUT_C = (
    "import sys; import lccu.fs.fastbody as f; f._tskbody = None; "
    "from lccu.cli.main import main; sys.exit(main())"
)


if __name__ == "__main__":
    raise SystemExit(main())
