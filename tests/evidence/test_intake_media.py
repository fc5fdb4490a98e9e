"""The evidence item is the media, not the file that carries it (issue 12).

Every container format of the planted disk (made in the test run by ``split``,
``ewfacquire`` and ``qemu-img``: see ``lccu.testing.formats``) is taken in with the raw
disk's hashes declared: the item records the media's size and hashes, each container file
its own (checked against hashlib), and the intake event the format and segments. A missing
or out-of-order segment and a wrong declared hash store nothing, not even an empty folder;
a flipped byte inside an E01 segment is reported at intake and by ``evidence verify``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lccu.errors import DeclaredHashMismatch, ImageFormatError, InvalidInput
from lccu.evidence.lab import Lab
from lccu.evidence.models import EvidenceContainer, EvidenceItem
from lccu.testing.cli import lccu_env, run_lccu
from lccu.testing.formats import BuiltContainers

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
FORMATS = (
    "raw",
    "split",
    "ewf",
    "ewf-deflate",
    "vmdk-sparse",
    "vmdk-split-flat",
    "vhd-fixed",
    "vhd-dynamic",
    "vhdx",
    "qcow2",
)
MEDIA_FORMAT = {
    "raw": "raw",
    "split": "split",
    "ewf": "ewf",
    "ewf-deflate": "ewf",
    "vmdk-sparse": "vmdk",
    "vmdk-split-flat": "vmdk",
    "vhd-fixed": "vhd",
    "vhd-dynamic": "vhd",
    "vhdx": "vhdx",
    "qcow2": "qcow2",
}


def _hashes(path: Path) -> dict[str, str]:
    digests = {"md5": hashlib.md5(), "sha1": hashlib.sha1(), "sha256": hashlib.sha256()}
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            for digest in digests.values():
                digest.update(block)
    return {name: digest.hexdigest() for name, digest in digests.items()}


@pytest.fixture(scope="module")
def media_hashes(media_containers: BuiltContainers) -> dict[str, str]:
    """The raw disk's hashes: what an acquisition report declares for every container."""
    return _hashes(media_containers.raw)


def _store_files(lab: Lab) -> list[Path]:
    root = Path(lab.settings.evidence_dir)
    return sorted(root.rglob("*")) if root.exists() else []


def _rows(lab: Lab) -> tuple[int, int]:
    with lab.db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(EvidenceItem)) or 0,
            session.scalar(select(func.count()).select_from(EvidenceContainer)) or 0,
        )


def _copy(files: list[Path], target: Path, skip: str | None = None) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in files:
        if path.name != skip:
            copied.append(Path(shutil.copy2(path, target / path.name)))
    return copied


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_is_taken_in_as_its_media(
    make_lab: Callable[..., Lab],
    media_containers: BuiltContainers,
    media_hashes: dict[str, str],
    fmt: str,
) -> None:
    """Naming only the first file, with the disk's declared hashes: accepted; the item's
    size and hashes are the disk's, every container file is stored with its own hashes."""
    lab = make_lab("vlas_inv")
    case = lab.create_case(f"Intake {fmt}")
    files = media_containers.formats[fmt]
    item = lab.add_evidence(case.id, files[0], description=f"disk as {fmt}", declared=media_hashes)
    assert item.state == "stored" and item.hashes_match
    assert (item.md5, item.sha1, item.sha256) == (
        media_hashes["md5"],
        media_hashes["sha1"],
        media_hashes["sha256"],
    )
    assert item.size == media_containers.raw.stat().st_size
    assert item.container_format == MEDIA_FORMAT[fmt]
    assert [c["name"] for c in item.containers] == [p.name for p in files]
    for container, path in zip(item.containers, files, strict=True):
        expected = _hashes(path)
        assert container["size"] == path.stat().st_size
        assert {k: container[k] for k in expected} == expected
    intake = lab.custody_log(case.id)[-1]
    details = intake["details"]
    assert intake["action"] == "intake" and intake["observed_hashes"] == media_hashes
    assert details["container_format"] == MEDIA_FORMAT[fmt]
    assert details["media_size"] == item.size
    assert [(s["name"], s["sha256"]) for s in details["segments"]] == [
        (p.name, _hashes(p)["sha256"]) for p in files
    ]
    assert details["stored_hashes"]["match"] == ("match" if fmt.startswith("ewf") else "none")
    assert details["read_errors"] == []
    outcome = lab.verify_evidence(item.id)
    assert outcome["match"] and outcome["observed"] == media_hashes
    assert [c["name"] for c in outcome["containers"] if c["match"]] == [p.name for p in files]


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", ["ewf", "split", "vmdk-split-flat", "vmdk-split-sparse"])
def test_every_segment_named_in_order_is_one_item(
    make_lab: Callable[..., Lab],
    media_containers: BuiltContainers,
    media_hashes: dict[str, str],
    fmt: str,
) -> None:
    """Several paths (what the CLI hands over): the files of one acquisition, in order,
    become one item carrying the disk's hashes."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Named segments")
    files = media_containers.formats[fmt]
    assert len(files) >= 2
    item = lab.add_evidence(case.id, files, description="disk", declared=media_hashes)
    assert item.sha256 == media_hashes["sha256"] and len(item.containers) == len(files)


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("fmt", "drop"),
    [("ewf", 1), ("ewf", -1), ("split", 1), ("vmdk-split-flat", 2), ("vmdk-split-sparse", 1)],
)
def test_missing_segment_is_refused_naming_it(
    make_lab: Callable[..., Lab],
    media_containers: BuiltContainers,
    tmp_path: Path,
    fmt: str,
    drop: int,
) -> None:
    """A segment missing in the middle (a gap beside the files) or at the end (an E01
    whose last segment says more follow), or an extent a VMDK descriptor names: refused
    naming it, nothing stored."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Missing segment")
    files = media_containers.formats[fmt]
    missing = files[drop].name
    copied = _copy(files, tmp_path / fmt, skip=missing)
    before = _rows(lab)
    with pytest.raises((InvalidInput, ImageFormatError), match=missing.replace(".", r"\.")):
        lab.add_evidence(case.id, copied[0], description="disk")
    assert _rows(lab) == before and _store_files(lab) == []


@SQLITE_ONLY
def test_segments_out_of_order_are_refused(
    make_lab: Callable[..., Lab], media_containers: BuiltContainers, tmp_path: Path
) -> None:
    """Segments named in the wrong order, or an E02 that is really another segment: refused
    before anything is stored."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Out of order")
    files = media_containers.formats["ewf"]
    with pytest.raises(InvalidInput, match="out of order"):
        lab.add_evidence(case.id, [files[0], files[2], files[1]], description="disk")
    swapped = _copy(files, tmp_path / "swapped")
    swapped[1].rename(tmp_path / "x")
    swapped[2].rename(swapped[1])
    (tmp_path / "x").rename(swapped[2])
    with pytest.raises(InvalidInput, match="segment 3 of its image"):
        lab.add_evidence(case.id, swapped[0], description="disk")
    assert _rows(lab) == (0, 0) and _store_files(lab) == []


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_declared_hash_stores_nothing(
    make_lab: Callable[..., Lab],
    media_containers: BuiltContainers,
    media_hashes: dict[str, str],
    fmt: str,
) -> None:
    """A wrong declared media hash, in every format: nothing stored (no object, no empty
    folder), no item; declaring the container file's hash instead of the disk's is
    explained."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Wrong hash")
    files = media_containers.formats[fmt]
    with pytest.raises(DeclaredHashMismatch, match="nothing was stored"):
        lab.add_evidence(case.id, files[0], description="disk", declared={"sha256": "ab" * 32})
    if MEDIA_FORMAT[fmt] not in ("raw", "split"):  # the first file is not the media's start
        first = files[0].name.replace(".", r"\.")
        with pytest.raises(DeclaredHashMismatch, match=rf"container file {first}"):
            lab.add_evidence(
                case.id,
                files[0],
                description="disk",
                declared={"sha256": _hashes(files[0])["sha256"]},
            )
    assert _rows(lab) == (0, 0) and _store_files(lab) == []


def _flip_byte(segment: Path) -> int:
    """Flip one byte of chunk data in an uncompressed E01 segment where the media holds
    data (not zeros, so the zeros libewf gives for the failed chunk change the hash)."""
    data = bytearray(segment.read_bytes())
    offset = 1024 * 1024
    while sum(1 for b in data[offset : offset + 512] if b) < 400:
        offset += 512
        assert offset < len(data), f"no chunk data in {segment.name} to flip"
    offset += 256
    data[offset] ^= 0xFF
    os.chmod(segment, 0o644)
    segment.write_bytes(bytes(data))
    return offset


@SQLITE_ONLY
def test_flipped_byte_in_an_e01_segment_is_reported(
    make_lab: Callable[..., Lab], media_containers: BuiltContainers, tmp_path: Path
) -> None:
    """The chunk fails its checksum: intake takes the copy as received but marks it, records
    the stored-hash mismatch and the unreadable range; `evidence verify` says so too."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Flipped byte")
    copied = _copy(media_containers.formats["ewf"], tmp_path / "flipped")
    _flip_byte(copied[0])
    item = lab.add_evidence(case.id, copied[0], description="disk")
    assert item.state == "hash-mismatch"
    check = item.media_check or {}
    assert check["stored_hashes"]["match"] == "mismatch"
    assert check["read_errors"] and check["unreadable_bytes"] > 0
    intake = lab.custody_log(case.id)[-1]
    assert "STORED-HASH MISMATCH" in intake["reason"]
    assert intake["details"]["stored_hashes"]["match"] == "mismatch"
    assert intake["details"]["read_errors"][0]["length"] > 0
    outcome = lab.verify_evidence(item.id)
    assert not outcome["match"] and outcome["stored_hashes"]["match"] == "mismatch"
    assert outcome["read_errors"] and outcome["containers_mismatched"] == []


@SQLITE_ONLY
def test_cli_takes_the_segments_beside_the_first(
    lab_settings: object,
    make_lab: Callable[..., Lab],
    media_containers: BuiltContainers,
    media_hashes: dict[str, str],
    tmp_path: Path,
) -> None:
    """`lccu evidence add CASE disk.E01 --md5 <the disk's MD5>` as a user types it: every
    segment is listed and stored; a missing segment is exit 2 with one line naming it."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("CLI")
    env = lccu_env(
        lab.settings.home,
        user="vlas_inv",
        LCCU_DATABASE_URL=str(lab.settings.database_url),
        LCCU_EVIDENCE_DIR=str(lab.settings.evidence_dir),
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_lccu(*args, env=env)

    files = media_containers.formats["ewf"]
    added = cli(
        "evidence",
        "add",
        case.id,
        str(files[0]),
        "--description",
        "disk",
        "--md5",
        media_hashes["md5"],
        "--json",
    )
    assert added.returncode == 0, added.stderr
    info = json.loads(added.stdout)
    assert info["md5"] == media_hashes["md5"] and info["container_format"] == "ewf"
    assert [c["name"] for c in info["containers"]] == [p.name for p in files]
    copied = _copy(files, tmp_path / "gap", skip=files[1].name)
    refused = cli("evidence", "add", case.id, str(copied[0]), "--description", "disk")
    assert refused.returncode == 2 and files[1].name in refused.stderr
    assert "Traceback" not in refused.stderr


@SQLITE_ONLY
def test_cli_lists_what_it_took_and_says_a_flipped_byte(
    make_lab: Callable[..., Lab],
    media_containers: BuiltContainers,
    media_hashes: dict[str, str],
    tmp_path: Path,
) -> None:
    """As a user reads it (no --json): `evidence add disk.E01` says which segments it took
    and lists them with their hashes; `diskaa` (coreutils split's alphabetic names) takes
    `diskab ...`; several paths named in order are one item. An E01 with a flipped byte in
    a segment: `evidence add` exits 1 saying it was not read as acquired, and `evidence
    verify` exits 1 saying the stored hashes differ and a range could not be read."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("CLI text")
    env = lccu_env(
        lab.settings.home,
        user="vlas_inv",
        LCCU_DATABASE_URL=str(lab.settings.database_url),
        LCCU_EVIDENCE_DIR=str(lab.settings.evidence_dir),
    )

    def add(*paths: Path, md5: str = media_hashes["md5"]) -> subprocess.CompletedProcess[str]:
        args = ["evidence", "add", case.id, *map(str, paths), "--description", "disk"]
        return run_lccu(*args, *(["--md5", md5] if md5 else []), env=env)

    e01 = media_containers.formats["ewf"]
    took = add(e01[0])
    assert took.returncode == 0, took.stderr
    names = [p.name for p in e01]
    assert f"taking {len(e01)} container files: {', '.join(names)}" in took.stderr
    assert f"media {media_containers.raw.stat().st_size} bytes (ewf, {len(e01)} container" in (
        took.stdout
    )
    for path in e01:
        assert (
            f"    {path.name}  {path.stat().st_size} bytes  sha256 {_hashes(path)['sha256']}"
            in (took.stdout)
        )
    assert "hashes stored in the container: match" in took.stdout
    alpha = tmp_path / "alpha"
    alpha.mkdir()
    segment = str(media_containers.formats["split"][0].stat().st_size)
    subprocess.run(
        ["split", "-b", segment, str(media_containers.raw), str(alpha / "disk")],
        check=True,
        timeout=60,
    )
    pieces = sorted(alpha.iterdir())
    assert [p.name for p in pieces] == ["diskaa", "diskab", "diskac"]
    taken = add(pieces[0])
    assert taken.returncode == 0, taken.stderr
    assert "taking 3 container files: diskaa, diskab, diskac" in taken.stderr
    named = add(*media_containers.formats["split"])
    assert named.returncode == 0, named.stderr
    assert "taking 3 container files: disk.001, disk.002, disk.003" in named.stderr
    items = lab.list_evidence(case.id)
    assert [len(i.containers) for i in items] == [3, 3, 3]
    assert {i.sha256 for i in items} == {media_hashes["sha256"]}
    flipped = _copy(e01, tmp_path / "flipped")
    _flip_byte(flipped[1])
    bad = add(flipped[0], md5="")
    assert bad.returncode == 1, (bad.stdout, bad.stderr)
    assert "NOT READ AS ACQUIRED" in bad.stderr and "Traceback" not in bad.stderr
    assert "the hashes stored in the container differ" in bad.stderr
    assert "hashes stored in the container: mismatch" in bad.stdout
    item_id = bad.stdout.splitlines()[0].strip()
    verified = run_lccu("evidence", "verify", item_id, env=env)
    assert verified.returncode == 1, (verified.stdout, verified.stderr)
    assert "DOES NOT MATCH" in verified.stdout
    assert "the hashes stored in the container differ from the media as read" in verified.stdout
    assert "range(s) could not be read" in verified.stdout


@SQLITE_ONLY
@pytest.mark.parametrize(
    "first", ["ext2.split.E01", "ext2.splitraw.000", "ext2.qcow2", "ext2.E01"]
)  # ext2.vhd's disk is CHS-rounded: larger
def test_corpus_images_are_taken_in_as_their_media(
    make_lab: Callable[..., Lab], first: str
) -> None:
    """dfvfs's one ext2 tree in several containers (../shared/corpus/dfvfs): every item's
    hashes are those of ext2.raw, the segments beside the first file are all taken."""
    from lccu.testing.corpus import corpus_file

    raw = corpus_file("dfvfs", "ext2.raw")
    lab = make_lab("vlas_inv")
    case = lab.create_case("Corpus")
    item = lab.add_evidence(
        case.id,
        corpus_file("dfvfs", first),
        description=first,
        declared={"sha256": _hashes(raw)["sha256"]},
    )
    assert (item.size, item.sha256) == (raw.stat().st_size, _hashes(raw)["sha256"])
    stem = first.rsplit(".", 1)[0]
    beside = sorted(
        p.name
        for p in raw.parent.iterdir()
        if p.name.startswith(stem + ".") and not p.name.endswith(".txt")
    )
    assert [c["name"] for c in item.containers] == (beside if "split" in first else [first])


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("fmt", "name"),
    [("vmdk-sparse", "EXH-001.vmdk"), ("vhdx", "exhibit.img"), ("qcow2", "disk.E01")],
)
def test_renamed_container_is_taken_in_by_its_signature(
    make_lab: Callable[..., Lab],
    media_containers: BuiltContainers,
    media_hashes: dict[str, str],
    tmp_path: Path,
    fmt: str,
    name: str,
) -> None:
    """A one-file container renamed after acquisition (to its exhibit number, or to a
    name that says another format) is still its format's media: the disk's hashes match
    the declared ones, the file is kept under its new name, and the item is processed
    from the store under that name (a monolithic sparse VMDK names itself inside as
    disk.vmdk: the renamed file is that extent, not a missing one)."""
    from lccu.storage import open_store
    from lccu.tasks import drain, run_status, submit

    renamed = tmp_path / name
    shutil.copyfile(media_containers.formats[fmt][0], renamed)
    lab = make_lab("vlas_inv")
    case = lab.create_case("Renamed")
    item = lab.add_evidence(case.id, renamed, description="disk", declared=media_hashes)
    assert (item.state, item.container_format) == ("stored", MEDIA_FORMAT[fmt])
    assert (item.size, item.sha256) == (media_containers.raw.stat().st_size,
                                        media_hashes["sha256"])  # fmt: skip
    assert [c["name"] for c in item.containers] == [name]
    run = submit(lab, item.id, yara=False, carve="none", expand=False)
    drain(lab, open_store(lab.settings))
    status = run_status(lab, run.run_id)
    assert (status["state"], status["outcome"]) == ("done", "done"), status


@SQLITE_ONLY
def test_verify_names_a_stored_segment_that_changed(
    make_lab: Callable[..., Lab], media_containers: BuiltContainers
) -> None:
    """One byte of one stored E01 segment changed in the store after intake: `evidence
    verify` names that segment, the media no longer matches, the item is hash-mismatch."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Tampered store")
    files = media_containers.formats["ewf"]
    item = lab.add_evidence(case.id, files[0], description="disk")
    stored = sorted(Path(lab.settings.evidence_dir).rglob(files[1].name))
    assert len(stored) == 1
    _flip_byte(stored[0])
    outcome = lab.verify_evidence(item.id)
    assert outcome["containers_mismatched"] == [files[1].name]
    assert not outcome["match"] and lab.get_evidence(item.id).state == "hash-mismatch"
    event = lab.custody_log(case.id)[-1]
    assert event["action"] == "verified" and event["details"]["containers_mismatched"] == [
        files[1].name
    ]


@SQLITE_ONLY
def test_unreadable_e01_is_taken_in_as_received_and_marked(
    make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """A file with the EWF signature that libewf cannot open is still the copy received: it
    is stored as the file it is, the item marked, the intake event says the container
    cannot be read (never a silent refusal that leaves the exhibit out of custody)."""
    bad = tmp_path / "bad.E01"
    bad.write_bytes(b"EVF\x09\x0d\x0a\xff\x00" + os.urandom(64 * 1024))
    lab = make_lab("vlas_inv")
    case = lab.create_case("Corrupt E01")
    item = lab.add_evidence(case.id, bad, description="damaged E01")
    assert item.state == "hash-mismatch" and item.container_format == "file"
    assert item.sha256 == _hashes(bad)["sha256"]
    assert "EWF" in (item.media_check or {})["container_unreadable"]
    assert "CANNOT BE READ" in lab.custody_log(case.id)[-1]["reason"]
