"""Every command shown in README.md, workers/README.md and docs/*.md works as written: the
shell blocks of each file run in order in one bash session, in a scratch directory beside a
fresh LCCU_HOME, following the markers of docs/doc-commands.md; a failure names the file,
the line and the command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lccu.testing.corpus import corpus_file
from tests.docs.commands import Block, shell_blocks

REPO = Path(__file__).resolve().parents[2]
#: every documented user's signing key is encrypted (with one passphrase here), cheaply
DOC_KEYS = {
    "LCCU_PASSPHRASE": "doc test passphrase",
    "LCCU_NEW_PASSPHRASE": "doc test passphrase",
    "LCCU_UNIT_PASSPHRASE": "doc test unit passphrase",
    "LCCU_KEY_KDF": "test",
}
DOCS = [REPO / "README.md", REPO / "workers" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
INDENTED_COMMAND = re.compile(r"\n\n(?: {4}|\t)(?:\$ )?(?:lccu|python3?|bash|export) ")


def _blocks(path: Path) -> list[Block]:
    return shell_blocks(path, path.relative_to(REPO))


def test_commands_are_fenced_and_markers_understood() -> None:
    """Commands are written as fenced blocks (an indented block would escape this test) and
    every doc-test marker is one the test knows, a skip with its reason."""
    problems = []
    for path in DOCS:
        _blocks(path)  # raises MarkerError naming file and line
        text = path.read_text()
        for m in INDENTED_COMMAND.finditer(text):
            line = text.count("\n", 0, m.start()) + 3
            problems.append(
                f"{path.relative_to(REPO)}:{line}: an indented command block; "
                "write it as a fenced block"
            )
    assert not problems, "\n".join(problems)


def _workspace(tmp_path: Path) -> Path:
    """A scratch directory that looks like the repository (links to its folders) with the
    files the documents name."""
    work = tmp_path / "work"
    work.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in {".git", "scan-out"} and not entry.name.endswith(".egg-info"):
            (work / entry.name).symlink_to(entry)
    shutil.copy(corpus_file("dfvfs", "ext2.E01"), work / "disk.E01")
    sample = REPO / "tests" / "data" / "sample-mbr.img"
    if not sample.exists():  # scripts/install.sh builds it; build it the same way if not
        subprocess.run(
            ["python3", "-m", "lccu.testing.images", str(sample)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return work


def run_blocks(blocks: list[Block], name: str, tmp_path: Path, redis_url: str) -> str | None:
    """Run the blocks of one document; None when every command worked, else a message naming
    the file, line and command that failed, with the end of its output."""
    from tests.docs.commands import script

    work = _workspace(tmp_path)
    trace = tmp_path / "trace"
    (tmp_path / "logs").mkdir()
    (tmp_path / "run.sh").write_text(script(blocks, str(trace)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env |= {
        "LCCU_HOME": str(tmp_path / "home"),
        "TEST_REDIS_URL": redis_url,
        "__logs": str(tmp_path / "logs"),
        **DOC_KEYS,
    }
    # `lccu` and `python3` are this interpreter's, found first: the commands as written run
    # the lccu under test, not what a version manager's shim (a script that looks the
    # interpreter up again, ~0.1 s a command) would pick
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run(
        ["bash", str(tmp_path / "run.sh")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # no terminal: passwords come from stdin
    lines = trace.read_text().splitlines() if trace.exists() else []
    commands = {f"{b.path}:{c.line}": c.text for b in blocks for c in b.commands}
    output = (proc.stdout + proc.stderr)[-3000:]
    failed = [line for line in lines if line.startswith("FAIL ")]
    if failed:
        where, _, rest = failed[0].removeprefix("FAIL ").partition(" ")
        return f"{where}: `{commands.get(where, '?')}` failed ({rest}); output:\n{output}"
    ran = [line[4:] for line in lines if line.startswith("RUN ")]
    if lines[-1:] != ["DONE"] or ran != [
        f"{b.path}:{c.line}" for b in blocks if not b.skip for c in b.commands
    ]:
        last = ran[-1] if ran else "the start"
        return (
            f"{name}: stopped after {last} (`{commands.get(last, '?')}`), exit "
            f"{proc.returncode}; output:\n{output}"
        )
    return None


@pytest.mark.slow
@pytest.mark.parametrize("doc", [p.relative_to(REPO).as_posix() for p in DOCS])
def test_documented_commands_run(doc: str, tmp_path: Path, redis_url: str) -> None:
    """The shell blocks of one document, run as written (placeholders and servers as its
    markers say)."""
    blocks = _blocks(REPO / doc)
    if not any(b.commands and not b.skip for b in blocks):
        return  # nothing to run in this document
    problem = run_blocks(blocks, doc, tmp_path, redis_url)
    if problem:
        pytest.fail(problem, pytrace=False)


def test_a_failing_command_is_named(tmp_path: Path, redis_url: str) -> None:
    """A command that fails stops its document with the file, the line and the command."""
    doc = tmp_path / "guide.md"
    doc.write_text(
        "# Guide\n\n```\nlccu --version\nlccu zone list\n```\n\nThen:\n\n"
        "```\nlccu --as nobody case list   # no such user\nlccu --version\n```\n"
    )
    problem = run_blocks(
        shell_blocks(doc, Path("docs/guide.md")), "docs/guide.md", tmp_path, redis_url
    )
    assert problem is not None
    assert problem.startswith(
        "docs/guide.md:11: `lccu --as nobody case list   # no such user` failed (2)"
    )


def test_analyst_example_is_the_shown_script() -> None:
    """docs/analyst.md shows docs/examples/analyst.py (which its commands run) as it is."""
    shown = (REPO / "docs" / "analyst.md").read_text()
    script = (REPO / "docs" / "examples" / "analyst.py").read_text()
    assert f"```python\n{script}```" in shown
