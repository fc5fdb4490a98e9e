"""Every refusal is audited once, as refused (threat model): an intake refused for what was
handed in (a missing or out-of-order E01 or split segment, a container lccu does not read,
a damaged E01 set, an empty file, a FIFO, /dev/zero, a directory, a symlink loop, a wrong
declared hash) leaves exactly one refused ``evidence.refused`` entry naming the actor, the
case and the cause, and nothing in the store, whether it came through the library or
`lccu evidence add`. An intake that is taken in (also one damaged container file, taken
in as received and marked) is not audited as refused; an intake into a case the actor may
not write is refused once, by the access gate, and not again for its file. A store that is
down is an error of an allowed intake, not a refusal."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from lccu.config import Settings
from lccu.errors import AccessDenied, LccuError, StoreUnavailable
from lccu.evidence.lab import Lab, open_lab
from lccu.testing.cli import lccu_env, run_lccu
from lccu.testing.pytest_db import unit_labs
from lccu.testing.refusals import (
    ANY_WAY,
    NOT_FILES,
    Sources,
    assert_nothing_stored,
    assert_refused_once,
    build_sources,
    make_refusal,
    refusals,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    return build_sources(tmp_path_factory.mktemp("refusal-sources"))


@pytest.mark.parametrize("kind", ANY_WAY + NOT_FILES)
def test_library_refusal_is_audited_once(
    make_lab: Callable[..., Lab], sources: Sources, tmp_path: Path, kind: str
) -> None:
    lab = make_lab("vlas_inv")
    case = lab.create_case(f"Refused {kind}")
    refused = make_refusal(kind, sources, tmp_path / "input")
    with pytest.raises(LccuError) as raised:
        lab.add_evidence(
            case.id, refused.given, description="seized disk", declared=refused.declared
        )
    assert not isinstance(raised.value, AccessDenied)
    detail = assert_refused_once(make_lab, case.id, refused.causes)
    assert detail["source_name"] == refused.given[0].name
    assert_nothing_stored(lab)


@pytest.mark.parametrize("kind", ANY_WAY + NOT_FILES)
def test_cli_refusal_is_audited_once(
    make_lab: Callable[..., Lab], sources: Sources, tmp_path: Path, kind: str
) -> None:
    """`lccu evidence add CASE PATH...` as typed: exit 1 (a declared-hash mismatch) or 2,
    one line naming the cause, and the one refused entry."""
    lab = make_lab("vlas_inv")
    case = lab.create_case(f"CLI refused {kind}")
    refused = make_refusal(kind, sources, tmp_path / "input")
    declared = [arg for name, value in refused.declared.items() for arg in (f"--{name}", value)]
    env = lccu_env(lab.settings.home, user="vlas_inv",
                   LCCU_DATABASE_URL=str(lab.settings.database_url),
                   LCCU_EVIDENCE_DIR=str(lab.settings.evidence_dir))  # fmt: skip
    result: subprocess.CompletedProcess[str] = run_lccu(
        "evidence", "add", case.id, *map(str, refused.given), "--description", "seized disk",
        *declared, env=env, timeout=60)  # fmt: skip
    assert result.returncode == (1 if kind == "mismatch" else 2), result.stderr
    assert "Traceback" not in result.stderr and refused.causes[0] in result.stderr
    assert_refused_once(make_lab, case.id, refused.causes)
    assert_nothing_stored(lab)


def test_intake_taken_in_is_not_audited_as_refused(
    make_lab: Callable[..., Lab], sources: Sources, tmp_path: Path
) -> None:
    """A good E01 set, and one damaged QCOW2 (the copy as received is still evidence:
    taken in, marked, never silently refused): neither leaves a refused entry."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Taken in")
    item = lab.add_evidence(case.id, sources.ewf[0], description="seized disk")
    assert item.container_format == "ewf" and item.state == "stored"
    damaged = tmp_path / "damaged.qcow2"
    damaged.write_bytes(sources.qcow2.read_bytes()[:65536])  # its cluster tables cut off
    marked = lab.add_evidence(case.id, damaged, description="damaged qcow2")
    assert marked.state == "hash-mismatch" and marked.container_format == "file"
    assert refusals(make_lab) == []


def test_refusal_in_a_case_not_writable_is_audited_once_by_the_gate(
    make_lab: Callable[..., Lab], sources: Sources, tmp_path: Path
) -> None:
    """An investigator of another zone hands a broken E01 set in to a case of PZ Vlas: one
    refused entry, the access refusal (`evidence.add`), and none for the file."""
    case = make_lab("vlas_inv").create_case("Not shared")
    refused = make_refusal("ewf_gap", sources, tmp_path / "input")
    with pytest.raises(AccessDenied):
        make_lab("polder_inv").add_evidence(case.id, refused.given, description="disk")
    found = refusals(make_lab)
    assert [(e.operation, e.username, e.case_id) for e in found] == [
        ("evidence.add", "polder_inv", case.id)
    ]


@pytest.mark.s3
def test_store_down_is_an_error_not_a_refusal(
    s3_settings: Settings, database_url: str, sources: Sources
) -> None:
    """The S3 server gone (nothing listens on its port): the intake fails naming the store
    (StoreUnavailable), nothing is recorded, and the audit log has the allowed attempt but
    no refusal: nothing was wrong with what was handed in, and the same files are taken in
    once the store is back."""
    settings = dataclasses.replace(s3_settings, database_url=database_url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = dataclasses.replace(settings, s3_endpoint=f"127.0.0.1:{port}", s3_timeout=2.0)
    with unit_labs(settings) as make_lab:
        case = make_lab("vlas_inv").create_case("Store down")
        with open_lab("vlas_inv", settings=down) as lab, pytest.raises(StoreUnavailable):
            lab.add_evidence(case.id, sources.ewf[0], description="seized disk")
        assert refusals(make_lab) == []
        assert [e.operation for e in make_lab("dpo").audit_log() if e.case_id == case.id][
            -1
        ] == "evidence.add"
        again = make_lab("vlas_inv").add_evidence(case.id, sources.ewf[0], description="disk")
        assert again.container_format == "ewf" and refusals(make_lab) == []
