"""Helpers for the YARA tests: the Debian ``yara`` command line as the oracle, generated data."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from lccu.scan.bundled import bundled_rules_dir

YARA_CLI = shutil.which("yara")
_STRING_LINE = re.compile(r"^0x([0-9a-f]+):(\d+):(\$[A-Za-z0-9_]*):")

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

#: One planted example per bundled rule (and a few near misses), all ASCII text.
ARTEFACTS: list[bytes] = [
    EICAR,
    b" 1BoatSLRHtKNngkdXEeobR76b53LETtpyT ",
    b" bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq ",
    b" 0x52908400098527886E0F7030069857D2E4169EE7 ",
    b" 44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3Xjrp"
    b"DtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A ",
    b" 2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion ",
    b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
    b"-----BEGIN RSA PRIVATE KEY-----\n",
    b" AKIAIOSFODNN7EXAMPLE ",
    b"mimikatz # sekurlsa::logonpasswords\n",
    "gentilkiwi".encode("utf-16-le"),
    b"procdump64.exe -accepteula -ma lsass.exe out.dmp\n",
    b"rundll32 comsvcs.dll, MiniDump 624 C:\\t\\l.dmp full\n",
    b"C:\\Program Files\\AnyDesk\\AnyDesk.exe connection_trace.txt\n",
    b"TeamViewer15_Logfile.log Connections_incoming.txt\n",
    "TeamViewer_Service.exe".encode("utf-16-le"),
    b"ngrok.yml RustDesk.toml ScreenConnect.ClientService\n",
    b" xAKIAIOSFODNN7EXAMPLE ",  # not fullword: must not match
]


def require_cli() -> str:
    """The Debian yara binary; the tests fail (not skip) without their oracle."""
    assert YARA_CLI, "the Debian 'yara' command line is required (apt-get install yara)"
    return YARA_CLI


def cli_scan(
    rule_files: Iterable[tuple[str, Path]], target: Path
) -> tuple[set[tuple[str, str]], set[tuple[str, str, str, int, int]]]:
    """Run ``yara -e -s -L`` and return (matched rules, string instances) it printed.

    Rules are (namespace, rule); instances are (namespace, rule, string, offset, length).
    """
    args = [require_cli(), "-w", "-e", "-s", "-L"]
    args += [f"{ns}:{path}" for ns, path in rule_files]
    args.append(str(target))
    out = subprocess.run(args, capture_output=True, text=True, errors="replace", check=False)
    assert out.returncode == 0, out.stderr
    rules: set[tuple[str, str]] = set()
    strings: set[tuple[str, str, str, int, int]] = set()
    current: tuple[str, str] | None = None
    for line in out.stdout.splitlines():
        m = _STRING_LINE.match(line)
        if m and current:
            strings.add((*current, m.group(3), int(m.group(1), 16), int(m.group(2))))
        elif line and not line.startswith("0x"):
            ns, rule = line.split(" ", 1)[0].split(":", 1)
            current = (ns, rule)
            rules.add(current)
    return rules, strings


def bundled_rule_files() -> list[tuple[str, Path]]:
    """Bundled rule files with the namespaces lccu gives them (``lccu.<stem>``)."""
    return [(f"lccu.{p.stem}", p) for p in sorted(bundled_rules_dir().glob("*.yar"))]


def build_image(path: Path, size: int, plants: dict[int, bytes], seed: int = 7) -> Path:
    """Write ``size`` bytes of pseudo-random binary with ``plants`` at fixed offsets."""
    rng = random.Random(seed)
    data = bytearray(rng.randbytes(size))
    for offset, blob in plants.items():
        data[offset : offset + len(blob)] = blob
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def yara_cli() -> Callable[..., tuple[set[tuple[str, str]], set[tuple[str, str, str, int, int]]]]:
    """The oracle: ``yara_cli(rule_files, target)`` runs the Debian yara command line."""
    return cli_scan


@pytest.fixture
def bundled_files() -> list[tuple[str, Path]]:
    """The bundled rule files and their namespaces."""
    return bundled_rule_files()


@pytest.fixture
def image_builder() -> Callable[..., Path]:
    """``image_builder(path, size, plants)`` writes a generated test image."""
    return build_image


@pytest.fixture
def artefacts() -> list[bytes]:
    """One planted example per bundled rule."""
    return list(ARTEFACTS)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """A private compiled-rules cache per test."""
    return tmp_path / "cache"
