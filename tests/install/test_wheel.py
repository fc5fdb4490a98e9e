"""lccu built as users get it (sdist, then a wheel from that sdist) and installed into a fresh
virtualenv away from the checkout: the bundled rules travel with it and the README's main
job and a processing run work from it.

To stay fast the venv sees the dependencies already installed for this interpreter (a path
line, not a site directory, so the checkout's editable install is not activated); lccu
itself comes only from the wheel, which every test checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from lccu.testing.images import PlantedManifest
from lccu.testing.keys import KEY_ENV
from lccu.testing.oracles import yara_cli_hits

REPO = Path(__file__).resolve().parents[2]
#: one worker runs the whole module: the module's build is made once, and two workers
#: building an sdist in the same checkout at once remove each other's release tree
#: ("No such file or directory: 'lccu-0.1.0/...'", seen in a full run under -n 2)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


@dataclass(frozen=True)
class Installed:
    """A virtualenv holding lccu from the wheel, and where to run it from."""

    wheel: Path
    sdist: Path
    venv: Path
    site: Path
    work: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command (``lccu`` is the venv's script) from a directory outside the
        checkout, with no PYTHONPATH."""
        command = [str(self.venv / "bin" / "lccu") if a == "lccu" else a for a in args[:1]]
        proc = subprocess.run([*command, *args[1:]], cwd=self.work, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if check:
            assert proc.returncode == 0, f"{args} exited {proc.returncode}:\n{proc.stderr}"
        return proc


def _clean_env() -> dict[str, str]:
    """The environment without lccu settings and without PYTHONPATH (which would show the
    checkout, and the egg-info the sdist build leaves there, to pip and python)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("LCCU_") and k not in {"PYTHONPATH", "PYTHONHOME"}}


def _run(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(args, cwd=cwd, env=_clean_env(), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout[-3000:]}\n" \
                                 f"{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """``python -m build`` of the checkout, then ``pip install`` of the wheel into a venv."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)], root)
    (wheel,), (sdist,) = dist.glob("lccu-*.whl"), dist.glob("lccu-*.tar.gz")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
          "--no-index", "--no-cache-dir", "--quiet", str(wheel)], root)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                      "['purelib'])"], root).strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_lccu_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    work = root / "work"
    work.mkdir()
    env = _clean_env()
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               LCCU_HOME=str(root / "home"), **KEY_ENV)
    return Installed(wheel, sdist, venv, site, work, env)


def _manifest() -> dict[str, str]:
    lines = (REPO / "rules" / "MANIFEST").read_text().splitlines()
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in lines)}


def test_sdist_and_wheel_carry_the_bundled_rules(installed: Installed) -> None:
    """Both archives hold every rule file of rules/MANIFEST under lccu/rules/, byte for byte."""
    manifest = _manifest()
    with zipfile.ZipFile(installed.wheel) as whl:
        in_wheel = {Path(n).name: hashlib.sha256(whl.read(n)).hexdigest()
                    for n in whl.namelist() if n.startswith("lccu/rules/") and n.endswith(".yar")}
    with tarfile.open(installed.sdist) as tar:
        in_sdist = {}
        for member in tar.getmembers():
            if "/lccu/rules/" in member.name and member.name.endswith(".yar"):
                data = tar.extractfile(member)
                assert data is not None, f"{member.name} is not a regular file in the sdist"
                in_sdist[Path(member.name).name] = hashlib.sha256(data.read()).hexdigest()
    assert in_wheel == manifest
    assert in_sdist == manifest


def test_lccu_and_its_rules_come_from_the_venv(installed: Installed) -> None:
    """From a directory outside the checkout, lccu and its bundled rules are imported from
    the venv's site-packages, not from the source tree."""
    out = installed.run(str(installed.venv / "bin" / "python"), "-c",
                        "import lccu; from lccu.scan.bundled import bundled_rules_dir; "
                        "print(lccu.__file__); print(bundled_rules_dir())").stdout.split()
    assert [Path(p) for p in out] == [installed.site / "lccu" / "__init__.py",
                                      installed.site / "lccu" / "rules"]
    version = installed.run("lccu", "--version").stdout
    assert version.split()[-1] == installed.wheel.name.split("-")[1]


def test_scan_from_the_wheel_reports_the_bundled_rules_hits(
        installed: Installed, planted_disk: PlantedManifest) -> None:
    """The README's main job run from the wheel: the whole-image YARA hits are the yara CLI's
    with the rules the wheel installed, and no rule error is reported."""
    out = installed.work / "scan-out"
    installed.run("lccu", "scan", str(planted_disk.image), "--out", str(out))
    report = json.loads((out / "report.json").read_text())
    expected = yara_cli_hits((REPO / "rules").glob("*.yar"), planted_disk.image)
    assert expected, "the sample disk should hold a lead the bundled rules find"
    assert {(h["rule"], h["offset"]) for h in report["yara"] if h["source"] == "image"} \
        == expected
    assert report["errors"] == []


def test_process_from_the_wheel(installed: Installed, planted_disk: PlantedManifest,
                                tmp_path: Path) -> None:
    """Embedded `lccu process` from the wheel finishes every stage, and the rule set signed
    into custody is the one of the checkout's rules/ (same files, same identity)."""
    from lccu.scan import load_rules

    run = installed.run
    run("lccu", "zone", "add", "PZ Vlas")
    run("lccu", "user", "add", "admin", "--zone", "PZ Vlas", "--role", "admin")
    run("lccu", "--as", "admin", "user", "add", "jan", "--zone", "PZ Vlas", "--role",
        "investigator")
    case = run("lccu", "--as", "jan", "case", "create", "--zone", "PZ Vlas", "--title", "wheel",
               "--reference", "PV 1/2026").stdout.strip()
    sha256 = hashlib.sha256(planted_disk.image.read_bytes()).hexdigest()
    added = run("lccu", "--as", "jan", "evidence", "add", case, str(planted_disk.image),
                "--description", "sample disk", "--sha256", sha256).stdout
    evidence = added.split()[0]
    status = json.loads(run("lccu", "--as", "jan", "process", evidence, "--json").stdout)
    assert status["state"] == "done", status
    assert {s["state"] for s in status["stages"]} == {"done"}
    events = json.loads(run("lccu", "--as", "jan", "custody", "log", case, "--json").stdout)
    identities = {e["details"]["rules"] for e in events
                  if e["action"] == "processed" and e["details"].get("rules")}
    assert identities == {load_rules([], cache_dir=tmp_path).identity}
    run("lccu", "--as", "jan", "custody", "verify", case)


def test_timeline_from_the_wheel_walks_ext4_in_c(
    installed: Installed, planted_disk: PlantedManifest
) -> None:
    """The wheel carries the C walk built against Debian's libtsk (lccu/fs/_tskbody.c), the
    installed `lccu timeline` uses it for the ext4 volume of the sample disk (pytsk3 for the
    FAT32 one) and its bodyfile equals fls -m of both volumes."""
    with zipfile.ZipFile(installed.wheel) as whl:
        assert any(n.startswith("lccu/fs/_tskbody.") and n.endswith(".so") for n in whl.namelist())
    where = installed.run(
        str(installed.venv / "bin" / "python"),
        "-c",
        "import lccu.fs._tskbody as m; print(m.__file__)",
    ).stdout.strip()
    assert where.startswith(str(installed.site)), where
    out = installed.work / "sample.body"
    proc = installed.run(
        "lccu", "timeline", str(planted_disk.image), "--timezone", "UTC", "-o", str(out)
    )
    assert re.search(r"\(walked with pytsk3, libtsk [\d.]+ \(C\)\)", proc.stderr), proc.stderr
    fls: list[str] = []
    for part in planted_disk.partitions:
        listing = subprocess.run(
            [
                "fls",
                "-m",
                "/",
                "-r",
                "-z",
                "UTC",
                "-o",
                str(int(part["start_offset"]) // 512),
                str(planted_disk.image),
            ],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        fls += listing.decode("utf-8", "replace").splitlines()
    assert sorted(out.read_text(encoding="utf-8").splitlines()) == sorted(fls)
