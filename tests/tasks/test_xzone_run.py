"""Cross-zone hit/no-hit from real processing runs (issue 18): a run's notable files are
offered by the very code workers run, known files never are, and `lccu xzone` shows PZ
Polder's investigator the hit in PZ Vlas and nothing of Vlas's case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lccu.errors import AccessDenied
from lccu.storage import open_store
from lccu.tasks import drain, run_status, submit
from lccu.testing.images import PlantedManifest
from tests.hashsets.test_scan_marks import pick, write_sets
from tests.tasks.conftest import Unit


def lccu(unit: Unit, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lccu.cli.main", *args], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, **unit.env, "LCCU_USER": user})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_runs_offer_notable_files_and_the_cli_answers_hit(
    unit: Unit, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    notable, known = pick(planted_disk)
    sums, nsrl = write_sets(tmp_path, notable, known)
    admin = unit.lab("admin")
    admin.hashset_import("unit notable", sums, kind="notable")
    admin.hashset_import("NSRL", nsrl, kind="known")
    for zone in ("PZ Vlas", "PZ Polder"):
        assert lccu(unit, "admin", "xzone", "enable", zone, "--legal-basis",
                    "WPA art. 44/11/3").returncode == 0
    items = {}
    for user, exhibit in (("vlas_inv", "V1"), ("polder_inv", "P1")):
        items[user] = unit.add_image(user, planted_disk.image, exhibit)
        lab = unit.lab(user)
        run = submit(lab, items[user], rules=[unit.rules], yara=False)
        drain(lab, open_store(lab.settings))
        assert run_status(lab, run.run_id)["state"] == "done"
    shown = lccu(unit, "polder_inv", "xzone", "hits", items["polder_inv"], "--json")
    assert shown.returncode == 0, shown.stderr
    hits = json.loads(shown.stdout)
    assert {h["sha256"] for h in hits} == {f.sha256 for f in notable}
    assert all(h == {"sha256": h["sha256"], "hit": True, "zones": ["PZ Vlas"]} for h in hits)
    vlas_case = unit.cases["vlas_inv"]
    assert vlas_case not in shown.stdout and items["vlas_inv"] not in shown.stdout
    text = lccu(unit, "polder_inv", "xzone", "lookup", unit.cases["polder_inv"],
                notable[0].sha256)
    assert text.stdout.strip() == f"{notable[0].sha256}  hit: also present in a case of PZ Vlas"
    with pytest.raises(AccessDenied, match="not a notable or marked file"):
        unit.lab("polder_inv").xzone_lookup(unit.cases["polder_inv"], known[0].sha256)
    refused = lccu(unit, "polder_inv", "xzone", "lookup", unit.cases["polder_inv"],
                   known[0].sha256)
    assert refused.returncode != 0 and "not a notable or marked file" in refused.stderr
