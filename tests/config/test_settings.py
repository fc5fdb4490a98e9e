"""One typed settings object: every LCCU_* variable and lccu.toml key goes through it, an
unknown name or a bad value stops lccu with exit 2 naming it, and `lccu config show` prints
the effective values with secrets masked."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from lccu.config import NAMES, env_name
from lccu.testing.cli import lccu_env, run_lccu

REPO = Path(__file__).resolve().parents[2]


def lccu(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_lccu(*args, env=lccu_env(tmp_path / "home", keys=False, **env), cwd=tmp_path)


def write_toml(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "lccu.toml").write_text("[lccu]\n" + text)
    return home / "lccu.toml"


@pytest.mark.parametrize("args", [["config", "show"], ["zone", "list"]])
def test_unknown_variable_exits_2_naming_it(tmp_path: Path, args: list[str]) -> None:
    """A misspelt LCCU_ variable is refused, with the name and the likely intended one."""
    proc = lccu(tmp_path, *args, LCCU_SEGMENT_SIZ="2097152")
    assert proc.returncode == 2, proc.stderr
    assert "unknown setting LCCU_SEGMENT_SIZ " in proc.stderr
    assert "did you mean LCCU_SEGMENT_SIZE?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_file_key_exits_2_naming_key_and_file(tmp_path: Path) -> None:
    """A key of lccu.toml that is no setting is refused, naming the key and the file."""
    path = write_toml(tmp_path, "lease_seconds = 30\nleese_seconds = 3\n")
    proc = lccu(tmp_path, "config", "show")
    assert proc.returncode == 2
    assert f"{path}: unknown setting 'leese_seconds' (did you mean lease_seconds?)" in proc.stderr


@pytest.mark.parametrize(
    ("env", "toml", "named"),
    [
        ({"LCCU_LEASE_SECONDS": "soon"}, "", "LCCU_LEASE_SECONDS='soon' in the environment"),
        ({"LCCU_S3_SECURE": "maybe"}, "", "LCCU_S3_SECURE='maybe' in the environment"),
        ({}, "segment_size = 4096\n", "segment_size = '4096' in "),
        ({}, 'web_trusted_proxies = "10.0.0.1, proxy.local"\n', "'proxy.local' is not an IP"),
    ],
)
def test_bad_value_exits_2_naming_it(
    tmp_path: Path, env: dict[str, str], toml: str, named: str
) -> None:
    """A value of the wrong type or out of range is refused with the variable or key."""
    if toml:
        write_toml(tmp_path, toml)
    proc = lccu(tmp_path, "config", "show", **env)
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.startswith("lccu: error: bad setting ")
    assert named in proc.stderr


def test_config_show_prints_effective_values_origins_and_masks_secrets(tmp_path: Path) -> None:
    """The environment wins over the file, the file over the default; secrets and URL
    passwords never appear."""
    path = write_toml(
        tmp_path, 'segment_size = 2097152\nlease_seconds = 30\nweb_secret = "file-secret-value"\n'
    )
    proc = lccu(
        tmp_path,
        "config",
        "show",
        "--json",
        LCCU_LEASE_SECONDS="45",
        LCCU_S3_SECRET_KEY="env-secret-value",
        LCCU_DATABASE_URL="postgresql+psycopg://lccu:db-password@db:5432/lccu",
    )
    assert proc.returncode == 0, proc.stderr
    assert not re.search("secret-value|db-password", proc.stdout)
    shown = json.loads(proc.stdout)
    assert shown["LCCU_SEGMENT_SIZE"] == {"value": "2097152", "from": str(path)}
    assert shown["LCCU_LEASE_SECONDS"] == {"value": "45", "from": "environment"}
    assert shown["LCCU_MAX_ATTEMPTS"]["from"] == "default"
    assert shown["LCCU_WEB_SECRET"]["value"] == shown["LCCU_S3_SECRET_KEY"]["value"] == "********"
    assert shown["LCCU_DATABASE_URL"]["value"] == "postgresql+psycopg://lccu:********@db:5432/lccu"
    assert set(shown) == {env_name(n) for n in NAMES}


def test_deep_settings_follow_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings the tasks and pipeline read deep inside a stage (once read ad hoc from the
    environment only) take their value from lccu.toml as well."""
    from lccu.pipeline.filesystem import listing_budget
    from lccu.tasks import queue
    from lccu.tasks.stages import yara_threads
    from lccu.tasks.submit import segment_size

    for name in list(os.environ):
        if name.startswith("LCCU_"):
            monkeypatch.delenv(name)
    path = tmp_path / "unit.toml"
    path.write_text(
        "[lccu]\nsegment_size = 3145728\nlease_seconds = 7\nmax_attempts = 3\n"
        "yara_threads = 1\nfs_budget_seconds = 12.5\n"
    )
    monkeypatch.setenv("LCCU_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LCCU_CONFIG", str(path))
    assert (
        segment_size(),
        queue.lease_seconds(),
        queue.max_attempts(),
        yara_threads(),
        listing_budget().seconds,
    ) == (3145728, 7, 3, 1, 12.5)
    path.write_text("[lccu]\nlease_seconds = 9\n")  # a changed file is read again
    assert queue.lease_seconds() == 9


def _reads_lccu_variable(node: ast.AST) -> bool:
    """``os.environ[...]``, ``os.environ.get(...)`` or ``os.getenv(...)`` of a literal
    ``LCCU_*`` name."""
    if isinstance(node, ast.Call):
        func, args = node.func, node.args
        reads = isinstance(func, ast.Attribute) and func.attr in {"get", "getenv"}
    elif isinstance(node, ast.Subscript):
        args, reads = [node.slice], isinstance(node.value, ast.Attribute)
    else:
        return False
    return reads and any(_lccu_name(a) for a in args[:1])


def _lccu_name(node: ast.AST) -> bool:
    """A literal ``"LCCU_..."`` or an f-string starting with ``LCCU_``."""
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("LCCU_")
    )


def test_no_module_reads_settings_from_the_environment_itself() -> None:
    """Outside lccu/config.py (and the test fixtures in lccu/testing) no code reads an LCCU_
    variable from the environment: it would bypass the checks and `lccu config show`."""
    offenders = []
    for path in sorted((REPO / "lccu").rglob("*.py")):
        rel = path.relative_to(REPO)
        if rel.as_posix() == "lccu/config.py" or rel.parts[1] == "testing":
            continue
        tree = ast.parse(path.read_text(), str(path))
        offenders += [f"{rel}:{n.lineno}" for n in ast.walk(tree) if _reads_lccu_variable(n)]
        offenders += [
            f"{rel}:{n.lineno} (click envvar)"
            for n in ast.walk(tree)
            if isinstance(n, ast.keyword)
            and n.arg == "envvar"
            and isinstance(n.value, ast.Constant)
            and n.value.value != "LCCU_USER"
        ]
    assert not offenders, "read LCCU_ settings through lccu.config.Settings: " + ", ".join(
        offenders
    )


def test_every_setting_is_documented() -> None:
    """Each setting's variable appears in the README or a guide, so operators can find it."""
    text = "".join(
        p.read_text()
        for p in [
            REPO / "README.md",
            REPO / "workers" / "README.md",
            *sorted((REPO / "docs").glob("*.md")),
        ]
    )
    missing = [env_name(n) for n in NAMES if env_name(n) not in text]
    assert not missing, f"document these settings in README.md or docs/: {missing}"


@pytest.mark.parametrize("example", sorted(p.name for p in (REPO / "workers").glob("*.env*")))
def test_shipped_environment_files_hold_valid_settings(example: str) -> None:
    """The example EnvironmentFiles in workers/ name only real settings with valid values."""
    from lccu.config import load_settings

    env = {}
    for line in (REPO / "workers" / example).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    assert env and load_settings(env).home == Path(env["LCCU_HOME"])
