"""Cross-zone hit/no-hit from real processing runs (issue 18): a run's notable files are
offered by the very code workers run, known files never are, and `lccu xzone` shows PZ
Polder's investigator the hit in PZ Vlas and nothing of Vlas's case."""

from __future__ import annotations

import json

import pytest

from lccu.errors import AccessDenied
from lccu.storage import open_store
from lccu.tasks import drain, run_status, submit
from lccu.testing.images import PlantedManifest
from tests.hashsets.test_scan_marks import PlantedSets
from tests.tasks.conftest import Unit


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_runs_offer_notable_files_and_the_cli_answers_hit(
    unit: Unit, planted_disk: PlantedManifest, planted_sets: PlantedSets
) -> None:
    notable, known = planted_sets.notable, planted_sets.known
    for zone in ("PZ Vlas", "PZ Polder"):
        enabled = unit.cli("xzone", "enable", zone, "--legal-basis", "WPA art. 44/11/3",
                           user="admin")  # fmt: skip
        assert enabled.returncode == 0, enabled.stderr
    items = {}
    for user, exhibit in (("vlas_inv", "V1"), ("polder_inv", "P1")):
        items[user] = unit.add_image(user, planted_disk.image, exhibit)
        lab = unit.lab(user)
        run = submit(lab, items[user], rules=[unit.rules], yara=False)
        drain(lab, open_store(lab.settings))
        assert run_status(lab, run.run_id)["state"] == "done"
    shown = unit.cli("xzone", "hits", items["polder_inv"], "--json", user="polder_inv")
    assert shown.returncode == 0, shown.stderr
    hits = json.loads(shown.stdout)
    assert {h["sha256"] for h in hits} == {f.sha256 for f in notable}
    assert all(h == {"sha256": h["sha256"], "hit": True, "zones": ["PZ Vlas"]} for h in hits)
    vlas_case = unit.cases["vlas_inv"]
    assert vlas_case not in shown.stdout and items["vlas_inv"] not in shown.stdout
    text = unit.cli(
        "xzone", "lookup", unit.cases["polder_inv"], notable[0].sha256, user="polder_inv"
    )
    assert text.stdout.strip() == f"{notable[0].sha256}  hit: also present in a case of PZ Vlas"
    with pytest.raises(AccessDenied, match="not a notable or marked file"):
        unit.lab("polder_inv").xzone_lookup(unit.cases["polder_inv"], known[0].sha256)
    refused = unit.cli(
        "xzone", "lookup", unit.cases["polder_inv"], known[0].sha256, user="polder_inv"
    )
    assert refused.returncode != 0 and "not a notable or marked file" in refused.stderr
