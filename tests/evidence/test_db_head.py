"""Opening a database already at the code's schema needs no Alembic: lccu compares the
recorded revision with :func:`lccu.evidence.db.head_revision`, read from the migration file
names, and imports Alembic only for a new, older or newer database (test_db_upgrade.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from lccu.evidence.db import _alembic_config, head_revision, make_engine
from lccu.testing.cli import lccu_env, run_lccu

PROBE = """
import json, sys
from lccu.cli.main import main
sys.argv = ["lccu", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "alembic": sorted(m for m in sys.modules
                                                  if m.split(".")[0] in ("alembic", "mako"))}),
      file=sys.stderr)
"""


def test_head_revision_is_alembics_head() -> None:
    """The head read from the file names is Alembic's own head, and each migration file is
    named after its revision: a migration named otherwise fails here (and would only make
    every command import Alembic, never skip a needed upgrade)."""
    engine = make_engine("sqlite:///:memory:")
    try:
        script = ScriptDirectory.from_config(_alembic_config(engine))
    finally:
        engine.dispose()
    assert head_revision() == script.get_current_head()
    for revision in script.walk_revisions():
        assert revision.path is not None
        assert Path(revision.path).name.split("_", 1)[0] == revision.revision, revision.path


def test_up_to_date_database_opens_without_alembic(database_url: str, tmp_path: Path) -> None:
    """`lccu zone list` on a database at the code's head runs without importing Alembic (or
    Mako, which it brings); the first command, on the new database, created it with
    Alembic as before."""
    env = lccu_env(tmp_path / "home", LCCU_DATABASE_URL=database_url)
    created = run_lccu("zone", "add", "PZ Vlas", env=env)
    assert created.returncode == 0, created.stderr
    proc = subprocess.run([sys.executable, "-c", PROBE, "zone", "list"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    probe = json.loads(proc.stderr.strip().splitlines()[-1])
    assert probe["code"] in (0, None), proc.stderr
    assert proc.stdout.splitlines() == ["PZ Vlas"]
    assert probe["alembic"] == [], probe["alembic"]
