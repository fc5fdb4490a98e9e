"""The access gate: the cross-zone leaks of issue 14, each through the library and the CLI.

Zone PZ Vlas (vlas_inv) and PZ Polder (polder_inv) each hold an item; runs are processed
in this process (no Redis) by the unit's operator, as workers do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lccu.config import Settings
from lccu.errors import AccessDenied, InvalidInput, NotFound
from lccu.evidence.lab import Lab
from lccu.storage import open_store
from lccu.tasks import run_status, submit
from lccu.tasks.report import finished_report
from lccu.testing.cli import lccu_env, run_lccu
from lccu.testing.processing import drain_here
from lccu.testing.pytest_db import unit_labs, unit_settings

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def audit_rows(lab: Lab, user: str, operation: str | None = None) -> list[dict[str, Any]]:
    query = "SELECT operation, allowed, object_id, detail FROM audit_log WHERE username = :u"
    params = {"u": user}
    if operation is not None:
        query += " AND operation = :o"
        params["o"] = operation
    with lab.db.engine.connect() as conn:
        rows = conn.execute(text(query + " ORDER BY seq"), params)
        return [
            {
                "operation": r[0],
                "allowed": bool(r[1]),
                "object_id": r[2],
                "detail": json.loads(r[3]) if r[3] else {},
            }
            for r in rows
        ]


def cli(
    settings: Settings, user: str | None, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = lccu_env(settings.home, LCCU_DATABASE_URL=settings.database_url, **extra)
    return run_lccu(*(["--as", user] if user else []), *args, env=env)


def process(make_lab: Callable[..., Lab], user: str, item: str) -> str:
    """Submit a light run of ``item`` as ``user`` and run it here as the unit's operator."""
    sub = submit(make_lab(user), item, yara=False, carve="none", expand=False)
    drain_here(make_lab("op"))
    assert run_status(make_lab(user), sub.run_id)["state"] == "done"
    return sub.run_id


Shared = tuple[Callable[..., Lab], Settings, dict[str, Any]]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, planted_disk: Any) -> Iterator[Shared]:
    """One unit on SQLite (``make_lab``, its settings) with one processed item in each
    zone, byte-identical images (the same SHA-256). Built once for the tests below that
    read it (each adds only its own users and audit entries): processing the two items is
    most of their time."""
    base = tmp_path_factory.mktemp("gate")
    settings = unit_settings(base / "home", f"sqlite:///{base / 'lccu.sqlite3'}")
    with unit_labs(settings) as make_lab:
        copy = base / "copy.img"
        shutil.copyfile(planted_disk.image, copy)
        vlas, polder = make_lab("vlas_inv"), make_lab("polder_inv")
        a_case = vlas.create_case("Vlas case")
        a_item = vlas.add_evidence(a_case.id, planted_disk.image, description="disk A")
        b_case = polder.create_case("Polder case")
        b_item = polder.add_evidence(b_case.id, copy, description="disk B")
        assert a_item.sha256 == b_item.sha256
        a_run = process(make_lab, "vlas_inv", a_item.id)
        b_run = process(make_lab, "polder_inv", b_item.id)
        two_zones = {
            "a_case": a_case,
            "a_item": a_item,
            "a_run": a_run,
            "b_case": b_case,
            "b_item": b_item,
            "b_run": b_run,
        }
        yield make_lab, settings, two_zones


def test_another_zones_run_id_is_refused(shared: Shared, tmp_path: Path) -> None:
    """polder_inv names her own item with vlas_inv's run: the library, `lccu report --run`
    and `lccu status` refuse, each attempt audited once as refused, nothing written."""
    make_lab, lab_settings, two_zones = shared
    polder = make_lab("polder_inv")
    b_item, a_run = two_zones["b_item"].id, two_zones["a_run"]
    with pytest.raises(NotFound, match="no processing run"):
        finished_report(polder, b_item, a_run, "json")
    refused = [
        r for r in audit_rows(polder, "polder_inv", "report.read") if r["object_id"] == a_run
    ]
    assert [r["allowed"] for r in refused] == [False]
    with pytest.raises(AccessDenied):
        run_status(polder, a_run)  # by id alone: the run's case decides
    # her own run through her own item is fine, and is one allowed entry
    assert finished_report(polder, b_item, two_zones["b_run"])[0] == two_zones["b_run"]
    # polling a run (status --watch) is decided every time, audited once per Lab
    watcher = make_lab("polder_inv")
    before = len(audit_rows(watcher, "polder_inv", "run.read"))
    for _ in range(3):
        run_status(watcher, two_zones["b_run"])
    assert len(audit_rows(watcher, "polder_inv", "run.read")) == before + 1

    out = tmp_path / "stolen.json"
    answer = cli(lab_settings, "polder_inv", "report", b_item, "--run", a_run, "-o", str(out))
    assert answer.returncode == 2, answer.stderr
    assert "no processing run" in answer.stderr and not out.exists()
    # another zone's item answers as an id that names nothing: exit 2, "no ...", no zone
    status = cli(lab_settings, "polder_inv", "status", two_zones["a_item"].id)
    made_up = cli(lab_settings, "polder_inv", "status", str(uuid.uuid4()))
    assert (status.returncode, made_up.returncode) == (2, 2), status.stderr
    assert "no evidence item" in status.stderr and "PZ Vlas" not in status.stderr
    assert two_zones["a_item"].id not in status.stdout


def test_same_image_in_two_zones_shares_nothing(shared: Shared) -> None:
    """Zone B's custody, report and derived keys hold nothing of zone A's item, though
    the images are byte-identical and A's was processed first."""
    make_lab, _settings, two_zones = shared
    polder = make_lab("polder_inv")
    a_id, b_id = two_zones["a_item"].id, two_zones["b_item"].id
    log = polder.custody_log(two_zones["b_case"].id)
    processed = [e for e in log if e["action"] == "processed"]
    assert processed and a_id not in json.dumps(log)
    assert all(
        str(e["details"]["result"]).startswith(f"{b_id}/")
        for e in processed
        if e["details"].get("result")
    )
    assert not [e for e in processed if e["details"].get("reused")]
    _run, key = finished_report(polder, b_id)
    assert key.startswith(f"{b_id}/")
    store = open_store(polder.settings)
    try:
        with store.open_derived(key) as fh:
            report = fh.read().decode()
    finally:
        store.close()
    assert a_id not in report and two_zones["a_case"].id not in report
    status = run_status(polder, two_zones["b_run"])
    assert not [s for s in status["stages"] if s["reused"]]


def test_zone_operator_is_refused_on_another_zones_items(shared: Shared, tmp_path: Path) -> None:
    """An operator of PZ Polder can neither read PZ Vlas's runs or reports nor add users
    to PZ Vlas; through the library and the CLI, each refusal audited."""
    make_lab, lab_settings, two_zones = shared
    make_lab("admin").add_user("polder_op", "PZ Polder", "operator")
    op = make_lab("polder_op")
    a_item, a_run = two_zones["a_item"].id, two_zones["a_run"]
    with pytest.raises(AccessDenied):
        finished_report(op, a_item)
    with pytest.raises(AccessDenied):
        run_status(op, a_run)
    with pytest.raises(AccessDenied):
        op.runs_of(a_item)
    assert a_run not in op.runs_of(None)
    with pytest.raises(AccessDenied, match="PZ Polder's users only"):
        op.add_user("evil2", "PZ Vlas", "investigator")
    with pytest.raises(AccessDenied, match="only a unit admin"):
        op.add_user("evil3", "PZ Polder", "admin")
    assert op.add_user("polder_two", "PZ Polder", "investigator").zone == "PZ Polder"
    assert [r["allowed"] for r in audit_rows(op, "polder_op", "user.create")] == [
        False,
        False,
        True,
    ]

    out = tmp_path / "r.json"
    for args, code, said in (
        (("report", a_item, "-o", str(out)), 2, "no case or evidence item"),
        (("status", a_item), 2, "no evidence item"),
        (("user", "add", "evil4", "--zone", "PZ Vlas", "--role", "investigator"), 1, "may not"),
    ):
        answer = cli(lab_settings, "polder_op", *args)
        assert answer.returncode == code, (args, answer.stdout, answer.stderr)
        assert said in answer.stderr
    assert not out.exists()
    assert "evil4" not in [u.username for u in make_lab("admin").users()]


@SQLITE
def test_hand_over_to_a_user_without_access_is_refused(
    make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """A transfer to someone whose zone cannot see the case is refused (audited once, no
    event); once the case is shared with that zone, the same transfer is recorded."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Hand-over")
    image = tmp_path / "i.dd"
    image.write_bytes(os.urandom(4096))
    item = vlas.add_evidence(case.id, image, description="stick")
    before = len(vlas.custody_log(case.id))
    with pytest.raises(AccessDenied, match="no access to case"):
        vlas.transfer(case.id, item.id, received_by="polder_inv", to_location="Polder")
    assert len(vlas.custody_log(case.id)) == before
    refusals = audit_rows(vlas, "vlas_inv", "custody.transferred")
    assert [r["allowed"] for r in refusals] == [False]
    vlas.share_case(case.id, "PZ Polder", purpose="examination in Polder")
    head = vlas.transfer(
        case.id, item.exhibit_number, received_by="polder_inv", to_location="Polder"
    )
    assert head["seq"] == before + 2  # the share, then the hand-over


@SQLITE
def test_refused_close_is_one_refused_entry(
    make_lab: Callable[..., Lab], lab_settings: Settings
) -> None:
    """A user of a zone the case is shared with may not close it: exactly one audit entry,
    refused (library and CLI)."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Shared, not closable")
    vlas.share_case(case.id, "PZ Polder", purpose="help")
    polder = make_lab("polder_inv")
    with pytest.raises(AccessDenied, match="only the owning zone"):
        polder.close_case(case.id, reason="done")
    assert [r["allowed"] for r in audit_rows(polder, "polder_inv", "case.close")] == [False]
    answer = cli(lab_settings, "polder_inv", "case", "close", case.id, "--reason", "done")
    assert answer.returncode == 1, answer.stderr
    assert [r["allowed"] for r in audit_rows(polder, "polder_inv", "case.close")] == [False, False]
    assert vlas.get_case(case.id).status == "open"


@SQLITE
def test_exhibit_numbers_and_prefixes_name_items(
    make_lab: Callable[..., Lab], lab_settings: Settings, tmp_path: Path
) -> None:
    """An item is found by its exhibit number (alone or as CASE/EXH), or a unique id
    prefix; another zone's exhibit number is "no such item", never a refusal that shows
    it exists."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Exhibits")
    image = tmp_path / "i.dd"
    image.write_bytes(os.urandom(4096))
    item = vlas.add_evidence(case.id, image, description="stick", exhibit_number="EXH-917")
    assert vlas.get_evidence("EXH-917").id == item.id
    assert vlas.get_evidence(f"{case.number}/EXH-917").id == item.id
    assert vlas.get_evidence(item.id[:10]).id == item.id
    assert vlas.resolve("EXH-917") == "evidence"
    with pytest.raises(NotFound):
        make_lab("polder_inv").get_evidence("EXH-917")
    shown = cli(lab_settings, "vlas_inv", "evidence", "show", "EXH-917")
    assert shown.returncode == 0 and item.id in shown.stdout, shown.stderr
    moved = cli(
        lab_settings,
        "vlas_inv",
        "custody",
        "record",
        case.number,
        "--action",
        "transferred",
        "--item",
        "EXH-917",
        "--to-location",
        "locker 9",
    )
    assert moved.returncode == 0, moved.stderr
    assert vlas.custody_log(case.id)[-1]["evidence_id"] == item.id
    hidden = cli(lab_settings, "polder_inv", "evidence", "show", "EXH-917")
    assert hidden.returncode == 2 and "no evidence item" in hidden.stderr


@SQLITE
def test_error_messages_read_as_sentences(make_lab: Callable[..., Lab]) -> None:
    """Refusals say what was refused in words: "may not create cases", "an operator"."""
    with pytest.raises(AccessDenied) as caught:
        make_lab("dpo").create_case("x")
    assert str(caught.value).startswith("dpo may not create cases: a dpo does not")
    with pytest.raises(AccessDenied) as caught:
        make_lab("op").create_case("x")
    assert "an operator does not open cases" in str(caught.value)
    with pytest.raises(InvalidInput, match="first user must be the unit's admin"):
        _fresh_bootstrap(make_lab)


def _fresh_bootstrap(make_lab: Callable[..., Lab]) -> None:
    """The first user of an empty unit must be an admin."""
    import dataclasses

    from lccu.evidence.lab import open_lab

    settings = make_lab("op").settings
    fresh = dataclasses.replace(
        settings,
        database_url=settings.database_url + "-fresh",
        home=settings.home.parent / "fresh-home",
    )
    boot = open_lab(None, settings=fresh)
    try:
        boot.add_zone("PZ Vlas")
        boot.add_user("first", "PZ Vlas", "operator")
    finally:
        boot.close()


@SQLITE
def test_worker_honours_as(
    make_lab: Callable[..., Lab], lab_settings: Settings, redis_url: str
) -> None:
    """`lccu --as USER worker` acts as USER (here an investigator: refused as such, not
    "no acting user")."""
    answer = cli(lab_settings, "vlas_inv", "worker", LCCU_REDIS_URL=redis_url)
    assert answer.returncode == 2
    assert "vlas_inv is investigator" in answer.stderr, answer.stderr


@SQLITE
def test_read_only_share_cannot_queue_processing(
    make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """Processing appends custody events to the case: a zone with a read-only share may
    read the item but not queue a run of it (refused, audited once as run.submit)."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Read-only share")
    image = tmp_path / "i.dd"
    image.write_bytes(os.urandom(4096))
    item = vlas.add_evidence(case.id, image, description="stick")
    vlas.share_case(case.id, "PZ Polder", permission="read", purpose="to look only")
    polder = make_lab("polder_inv")
    assert polder.get_evidence(item.id).id == item.id
    with pytest.raises(AccessDenied, match="read-only"):
        submit(polder, item.id, yara=False, carve="none", expand=False)
    assert [r["allowed"] for r in audit_rows(polder, "polder_inv", "run.submit")] == [False]
    assert polder.runs_of(item.id) == []


#: the Lab calls (what the CLI and the web call) that take a case, item, run, file or tag,
#: with the ids they are given: ``{case}`` (a case number), ``{item}``, ``{run}``,
#: ``{file}``, ``{tag}``
LIBRARY_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("get_case", ("{case}",), {"justification": "curious"}),
    ("list_evidence", ("{case}",), {}),
    ("custody_log", ("{case}",), {}),
    ("verify_custody", ("{case}",), {}),
    ("case_runs", ("{case}",), {}),
    ("case_timelines", ("{case}",), {}),
    ("case_file_page", ("{case}",), {}),
    ("tags", ("{case}",), {}),
    ("tag_labels", ("{case}",), {}),
    ("notable_marks", ("{case}",), {}),
    ("record_event", ("{case}", "note"), {"reason": "x"}),
    ("set_question", ("{case}", "what happened?"), {}),
    ("share_case", ("{case}", "PZ Polder"), {"purpose": "x"}),
    ("close_case", ("{case}",), {"reason": "x"}),
    ("define_label", ("wapen",), {"case": "{case}"}),
    ("countersign", ("{case}", 1), {}),
    ("get_evidence", ("{item}",), {}),
    ("signed_intake_hashes", ("{item}",), {}),
    ("runs_of", ("{item}",), {}),
    ("file_page", ("{item}",), {}),
    ("file", ("{item}", "{file}"), {}),
    ("report", ("{item}",), {}),
    ("item_timeline", ("{item}",), {}),
    ("finished_report", ("{item}",), {}),
    ("tags", ("{item}",), {}),
    ("tag_labels", ("{item}",), {}),
    ("notable_marks", ("{item}",), {}),
    ("tag_file", ("{item}", "/a"), {"label": "x"}),
    ("mark_notable", ("{item}", "/a"), {"category": "c", "reason": "r"}),
    ("stored_thumbnail", ("{item}", "{file}"), {}),
    ("verify_evidence", ("{item}",), {}),
    ("resolve", ("{item}",), {}),
    ("resolve", ("{case}",), {}),
    ("run_status", ("{run}",), {}),
    ("untag", ("{tag}",), {}),
]


def _filled(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def _attempt(
    lab: Lab, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], ids: dict[str, Any]
) -> tuple[str, str]:
    """Whether the call's error is a NotFound, its exit code and its message (with the ids
    asked for written as their names), or "ok"."""
    try:
        result = getattr(lab, name)(
            *(_filled(a, ids) for a in args), **{k: _filled(v, ids) for k, v in kwargs.items()}
        )
        if hasattr(result, "__next__"):
            list(result)
    except Exception as exc:
        text = str(exc)
        for key, value in sorted(ids.items(), key=lambda kv: -len(str(kv[1]))):
            text = text.replace(str(value), f"<{key}>")
        # the class is not compared: NotVisible is a NotFound that library callers may
        # still catch as a PermissionError; the CLI shows the words and the exit code
        return f"{isinstance(exc, NotFound)} exit {getattr(exc, 'exit_code', '-')}", text
    return "ok", ""


def test_library_answers_another_zones_ids_as_unknown_ones(shared: Shared) -> None:
    """Every Lab call the CLI makes with a case, item, run, file or tag: PZ Vlas's ids
    asked by polder_inv give the same error, exit code and words as made-up ids (no zone
    named, nothing that says they exist), and each attempt is one refused audit entry."""
    make_lab, _settings, two_zones = shared
    vlas, polder = make_lab("vlas_inv"), make_lab("polder_inv")
    item = two_zones["a_item"].id
    file = vlas.file_page(item, limit=1).files[0]
    tag = vlas.tag_file(item, file.path, label="library probe", volume=file.volume)
    foreign = {
        "case": two_zones["a_case"].number,
        "item": item,
        "run": two_zones["a_run"],
        "file": file.id,
        "tag": tag.id,
    }
    made_up = {
        "case": "LCCU-2026-99999",
        "item": str(uuid.uuid4()),
        "run": str(uuid.uuid4()),
        "file": 999_999_999,
        "tag": str(uuid.uuid4()),
    }
    problems = []
    for name, args, kwargs in LIBRARY_CALLS:
        answers = []
        for ids in (foreign, made_up):
            before = len(audit_rows(vlas, "polder_inv"))
            answers.append(_attempt(polder, name, args, kwargs, ids))
            new = audit_rows(vlas, "polder_inv")[before:]
            if [e["allowed"] for e in new] != [False]:
                problems.append(f"{name}{args} {ids['item'][:4]}: audit {new}")
        if answers[0] != answers[1] or answers[0][0] == "ok":
            problems.append(f"{name}{args}: {answers[0]} against {answers[1]}")
        if "PZ Vlas" in answers[0][1]:
            problems.append(f"{name}{args}: names PZ Vlas: {answers[0][1]}")
    assert problems == [], "\n".join(problems)
