"""Library errors in the web user's language (issue 20): a refusal raised with a message key
is shown in Dutch when Dutch is chosen, with its facts (both hashes, the segment, the
offset) and none of the library's English words, on pages (error page, the case page's
notice) and in the ``message`` the upload page shows; the REST ``detail`` keeps the
library's English. Every key raised in lccu has its Dutch and English text, and the DPO's
audit view names operations in the page's language."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import lccu
from lccu.evidence.lab import Lab
from lccu.web.i18n import OPERATIONS, STRINGS
from tests.web.helpers import MAX_UPLOAD, PlantedItem, login, upload_file

WEB = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DATA = bytes(range(256)) * 20  # 5120 bytes
#: words of the library's English messages that a Dutch message must not contain
ENGLISH = re.compile(
    r"\b(nothing was|was stored|is missing|out of order|expected offset|incomplete|"
    r"more bytes|may not|no such|not part of|is taken|required|is not a|belongs to|"
    r"the upload|uploads in progress|hexadecimal digits|declared)\b"
)


def _dutch(answer: Any, status: int, *facts: str) -> str:
    """The Dutch ``message`` of a refused API call the upload page shows: it has ``facts``,
    no English words of the library, and differs from the English ``detail``."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    message = body["message"]
    assert message != body["detail"] and not ENGLISH.search(message), (message, body)
    for fact in facts:
        assert fact in message, (fact, message)
    return str(message)


def _start(client: TestClient, headers: dict[str, str], case_id: str, **body: Any) -> Any:
    return client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={"filename": "usb.dd", "size": len(DATA), "description": "USB", **body},
    )


@WEB
def test_upload_refusals_are_said_in_dutch(
    client: TestClient, app: FastAPI, make_lab: Callable[..., Lab]
) -> None:
    """Every refusal of the upload page a user can meet, Dutch chosen: a declared hash that
    does not match (both hashes in the sentence) or is malformed, too large, a chunk at the
    wrong offset or beyond the declared size, completing too early, an ended, cancelled or
    unknown upload, no upload slot left, another zone's case, and the segments of a split
    image missing, out of order, of the wrong size, adding up wrong or named twice."""
    case_id = make_lab("vlas_inv").create_case("Upload target").id
    foreign = make_lab("polder_inv").create_case("Polder only").id
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    client.get("/cases", params={"lang": "nl"})  # Dutch chosen (remembered in a cookie)

    upload_id, done = upload_file(client, csrf, case_id, DATA, declared={"sha256": "0" * 64})
    shown = _dutch(done, 422, "0" * 64, hashlib.sha256(DATA).hexdigest(), "image.dd")
    assert "Er is niets opgeslagen" in shown
    assert "nothing was stored" in done.json()["detail"]  # the REST detail: the library's
    again = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
    _dutch(again, 410, "De upload van image.dd is niet opgenomen")

    _dutch(_start(client, headers, case_id, sha256="abc"), 422, "64 hexadecimale tekens")
    big = _start(client, headers, case_id, size=MAX_UPLOAD + 1)
    _dutch(big, 413, f"{MAX_UPLOAD + 1} bytes is meer dan het maximum van {MAX_UPLOAD}")

    started = _start(client, headers, case_id)
    upload = started.json()["upload_id"]
    wrong = client.put(
        f"/api/v1/uploads/{upload}", params={"offset": 10}, content=b"x", headers=headers
    )
    _dutch(wrong, 409, "vanaf byte 0, niet vanaf 10")
    early = client.post(f"/api/v1/uploads/{upload}/complete", headers=headers)
    _dutch(early, 409, f"onvolledig: 0 van {len(DATA)} bytes")
    assert client.delete(f"/api/v1/uploads/{upload}", headers=headers).status_code in (200, 204)
    _dutch(client.get(f"/api/v1/uploads/{upload}"), 410, "usb.dd is geannuleerd")
    _dutch(client.get(f"/api/v1/uploads/{'a' * 32}"), 404, "bestaat niet (meer)")

    small = _start(client, headers, case_id, size=10).json()["upload_id"]
    over = client.put(
        f"/api/v1/uploads/{small}", params={"offset": 0}, content=b"y" * 20, headers=headers
    )
    _dutch(over, 413, "Meer bytes ontvangen dan de opgegeven 10")
    _dutch(client.get(f"/api/v1/uploads/{small}"), 410, "stuurde meer bytes dan opgegeven")

    per_user = app.state.web.uploads.per_user
    held = [_start(client, headers, case_id).json()["upload_id"] for _ in range(per_user)]
    _dutch(_start(client, headers, case_id), 429, f"U hebt al {per_user} uploads lopen")
    for upload in held:
        client.delete(f"/api/v1/uploads/{upload}", headers=headers)

    denied = _start(client, headers, foreign)  # another zone's: as a case that is not there
    said = _dutch(denied, 404, f"Niet gevonden: {foreign}")
    assert "PZ Polder" not in said

    segments = [("usb.001", DATA), ("usb.002", DATA), ("usb.003", DATA[:1234])]
    media = b"".join(data for _name, data in segments)
    files = [{"name": name, "size": len(data)} for name, data in segments]

    def send(parts: list[dict[str, Any]], size: int | None = None) -> Any:
        total = sum(int(p["size"]) for p in parts)
        start = _start(
            client, headers, case_id, filename=str(parts[0]["name"]), files=parts,
            size=size or total, sha256=hashlib.sha256(media).hexdigest(),
        )  # fmt: skip
        if start.status_code != 201:
            return start
        upload = start.json()["upload_id"]
        body = b"".join(DATA[: int(p["size"])] for p in parts)
        for offset in range(0, len(body), 4096):
            sent = client.put(
                f"/api/v1/uploads/{upload}",
                params={"offset": offset},
                content=body[offset : offset + 4096],
                headers=headers,
            )
            if sent.status_code != 200:  # a segment of the wrong size: refused as it arrives
                return sent
        return client.post(f"/api/v1/uploads/{upload}/complete", headers=headers)

    _dutch(send([files[0], files[2]]), 422, "Segment usb.002 ontbreekt (na usb.001)")
    _dutch(send([files[0], files[2], files[1]]), 422, "usb.003 staat waar usb.002 hoort")
    short = {"name": "usb.002", "size": 100}
    _dutch(send([files[0], short, files[2]]), 422, "usb.002 is 100 bytes terwijl usb.001")
    _dutch(send(files, size=len(media) + 1), 422, f"samen {len(media)} bytes, niet de")
    _dutch(send([files[0], files[0]]), 422, "Twee bestanden van de upload")
    assert make_lab("vlas_inv").list_evidence(case_id) == []


def _notice(page: str) -> str:
    found = re.search(r'id="action-result">(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))) if found else ""


def _main(page: str) -> str:
    """The visible text of the page's main part (the error page's message)."""
    found = re.search(r"<main[^>]*>(.*?)</main>", page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1) if found else page))


@WEB
def test_page_refusals_are_said_in_dutch(
    client: TestClient, make_lab: Callable[..., Lab], new_client: Callable[[], TestClient]
) -> None:
    """Error pages (nothing found, another zone's case, a case without title, a DPO opening
    a case) and the case page's notice after a form (a share to the own zone, without
    purpose, with a bad date, a revoke of no share, a custody event without its time zone
    or with a bad time) in Dutch, with the facts and no English words of the library."""
    case = make_lab("vlas_inv").create_case("Fouten")
    polder = new_client()
    login(polder, "polder_inv")
    asked = {"lang": "nl", "justification": "PV 12/2026"}
    foreign = polder.get(f"/cases/{case.id}", params=asked)  # said as a case not there
    assert foreign.status_code == 404
    assert f"Niet gevonden: {case.id}" in _main(foreign.text)
    assert "PZ Vlas" not in foreign.text and case.number not in foreign.text
    assert not ENGLISH.search(_main(foreign.text)), _main(foreign.text)

    csrf = login(client, "vlas_inv")
    missing = client.get("/cases/LCCU-1999-00042", params=asked)
    assert missing.status_code == 404 and "Niet gevonden: LCCU-1999-00042" in _main(missing.text)
    untitled = client.post("/cases/new", data={"csrf": csrf, "title": " "})
    assert untitled.status_code == 422
    assert "Een dossier heeft een titel nodig." in _main(untitled.text)
    assert "a case needs a title" not in untitled.text

    dpo = new_client()
    dpo_csrf = login(dpo, "dpo")
    refused = dpo.post("/cases/new", data={"csrf": dpo_csrf, "title": "DPO"}, params={"lang": "nl"})
    assert refused.status_code == 403
    assert "Geweigerd: dpo mag dit niet (dossier aanmaken)" in _main(refused.text)

    soon = "2001-01-01"
    attempts = [
        ("share", {"zone": "PZ Vlas", "purpose": "p"}, f"Dossier {case.number} behoort al"),
        ("share", {"zone": "PZ Polder", "purpose": " "}, "Het doel van het delen is verplicht"),
        ("share", {"zone": "PZ Nergens", "purpose": "p"}, "Er is geen zone PZ Nergens"),
        ("share", {"zone": "PZ Polder", "purpose": "p", "valid_until": soon}, "vervaldatum"),
        ("share", {"zone": "PZ Polder", "purpose": "p", "valid_until": "morgen"}, "geen datum"),
        ("unshare", {"zone": "PZ Polder", "reason": "x"}, "is niet gedeeld met PZ Polder"),
        ("close", {"reason": ""}, "De reden is verplicht"),
        (
            "custody",
            {"action": "note", "reason": "r", "occurred_at": "2026-01-02T10:00"},
            "heeft een tijdzoneverschil nodig",
        ),
        (
            "custody",
            {"action": "note", "reason": "r", "occurred_at": "gisteren", "occurred_offset": "Z"},
            "gisteren is geen datum en tijd",
        ),
    ]
    for path, form, dutch in attempts:
        answer = client.post(
            f"/cases/{case.id}/{path}", data={"csrf": csrf, **form}, follow_redirects=False
        )
        assert answer.status_code == 303, (path, form, answer.text)
        shown = _notice(client.get(f"/cases/{case.id}", params={"lang": "nl"}).text)
        assert dutch in shown and not ENGLISH.search(shown), (path, form, shown)


@WEB
def test_audit_view_names_operations_in_dutch(
    client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """The DPO's audit view in Dutch names each operation in Dutch with its code beside it
    (small text and title); in English in English; a code without a name shows as it is."""
    make_lab("vlas_inv").create_case("Audit")
    login(client, "dpo")
    dutch = client.get("/audit", params={"username": "vlas_inv", "lang": "nl"}).text
    assert '<span title="case.create">dossier aanmaken</span>' in dutch
    assert "<small><code>case.create</code></small>" in dutch
    english = client.get("/audit", params={"username": "vlas_inv", "lang": "en"}).text
    assert '<span title="case.create">create a case</span>' in english
    assert "dossier aanmaken" not in english
    from lccu.web.i18n import operation_label

    assert operation_label("something.new", "nl") == "something.new"


#: how a message key is named where an error is raised: ``key="..."``, and the keys
#: chosen in code (``key = "..."``, the upload endings ``("...", "upload_ended_...")``)
_RAISED = re.compile(r"""\bkey\s*=\s*"([a-z][a-z0-9_]*)"|"(upload_ended_[a-z_]+)"|"""
                     r"""key, params\["container"\] = "([a-z_]+)\"""")  # fmt: skip


def test_every_raised_message_key_is_in_both_languages() -> None:
    """A scan of lccu's source: every message key given to an error is in the dictionary
    as ``err_<key>`` in Dutch and English, with the same parameters in both."""
    root = Path(lccu.__file__).parent
    keys: set[str] = set()
    for source in root.rglob("*.py"):
        for found in _RAISED.finditer(source.read_text(encoding="utf-8")):
            keys.add(next(group for group in found.groups() if group))
    assert len(keys) >= 50, sorted(keys)  # the refusals a web user meets have keys
    assert {"declared_hash_mismatch", "access_denied", "segment_missing"} <= keys
    fields = re.compile(r"\{(\w+)\}")
    for key in sorted(keys):
        entry = STRINGS.get(f"err_{key}")
        assert entry is not None and entry["nl"] and entry["en"], key
        assert set(fields.findall(entry["nl"])) == set(fields.findall(entry["en"])), key
    for code, names in OPERATIONS.items():
        assert names["nl"] and names["en"], code
    from lccu.evidence.invariants import TRANSFER_FIELDS

    for name in TRANSFER_FIELDS:  # what a custody-rule reason's {field} and {fields} name
        entry = STRINGS.get(f"field_{name}")
        assert entry and entry["nl"] and entry["en"], name


@WEB
def test_tag_and_notable_refusals_are_said_in_dutch(
    processed_item: PlantedItem, make_lab: Callable[..., Lab]
) -> None:
    """The file page's tag and notable forms, Dutch chosen: a label the case does not define
    or a malformed one, a file the report does not list, a notable mark without reason or
    with a malformed category; each an error page in Dutch with its facts."""
    client, item = processed_item.client, processed_item.item_id
    case = make_lab("vlas_inv").get_case(processed_item.case_id)
    make_lab("vlas_inv").define_label("relevant", case=case.id)
    csrf = processed_item.headers["X-CSRF-Token"]
    client.get("/cases", params={"lang": "nl"})
    tries = [
        ("tags", {"path": "/docs/report.txt", "label": "onbekend"}, 422,
         f"Label onbekend is geen van de labels van dossier {case.number}: relevant."),
        ("tags", {"path": "/docs/report.txt", "label": "!!"}, 422, "Label !!: 1 tot 60 letters"),
        ("tags", {"path": "/geen/bestand.txt", "label": "relevant"}, 404,
         "Geen bestand /geen/bestand.txt in het verwerkingsrapport van"),
        ("notable", {"path": "/docs/report.txt", "category": "drugs", "reason": " "}, 422,
         "Een markering als opvallend heeft een reden nodig."),
        ("notable", {"path": "/docs/report.txt", "category": "??", "reason": "r"}, 422,
         "Categorie ??: 1 tot 60 letters"),
    ]  # fmt: skip
    for form, data, status, dutch in tries:
        answer = client.post(
            f"/evidence/{item}/files/1/{form}", data={"csrf": csrf, **data}, follow_redirects=False
        )
        shown = _main(answer.text)
        assert answer.status_code == status, (form, data, answer.status_code, shown)
        assert dutch in shown and not ENGLISH.search(shown), (form, data, shown)


@WEB
def test_countersign_and_audit_refusals_are_said_in_dutch(
    client: TestClient,
    make_lab: Callable[..., Lab],
    new_client: Callable[[], TestClient],
    tmp_path: Path,
) -> None:
    """Countersigning from the case page, Dutch chosen: one's own event, an event that is
    no hand-over (its action named in Dutch), one that does not exist, a role that names
    someone else (the role in Dutch), and twice; the DPO's audit filters with a verdict that
    is none or a date range that ends before it starts."""
    from tests.web.test_case_actions import add_item

    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Medeondertekenen")
    item = add_item(make_lab, case.id, tmp_path)
    operator = make_lab("op")
    operator.add_user("vlas_wit", "PZ Vlas", "investigator")
    seq = vlas.transfer(case.id, item, received_by="op", witness="vlas_wit")["seq"]
    own = client.post(
        f"/cases/{case.id}/custody/{seq}/countersign",
        data={"csrf": login(client, "vlas_inv")},
        params={"lang": "nl"},
    )
    shown = _notice(own.text)
    assert f"U hebt gebeurtenis {seq} zelf vastgelegd" in shown and not ENGLISH.search(shown)

    op = new_client()
    csrf = login(op, "op")
    tries = [
        (1, {}, "Gebeurtenis 1 is een notitie, geen overdracht"),
        (99, {}, f"Dossier {case.number} heeft geen bewaringsgebeurtenis 99."),
        (seq, {"role": "witness"}, f"Gebeurtenis {seq} noemt vlas_wit als getuige, niet op"),
        (seq, {"role": "receiver"}, ""),  # done
        (seq, {"role": "receiver"}, f"Gebeurtenis {seq} is al medeondertekend als ontvanger"),
    ]
    for number, form, dutch in tries:
        answer = op.post(
            f"/cases/{case.id}/custody/{number}/countersign",
            data={"csrf": csrf, **form},
            params={"lang": "nl"},
        )
        shown = _notice(answer.text)
        assert dutch in shown and not ENGLISH.search(shown), (number, form, shown)

    login(client, "dpo")
    verdict = client.get("/audit", params={"allowed": "perhaps", "lang": "nl"})
    assert verdict.status_code == 422
    assert "Toegestaan moet ja/nee (of true/false) zijn, niet perhaps." in _main(verdict.text)
    backwards = client.get("/audit", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert backwards.status_code == 422
    assert "De periode eindigt voor ze begint." in _main(backwards.text)


@WEB
def test_empty_file_and_refused_fields_are_said_in_dutch(
    client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """An empty file on the upload page is refused by the intake in Dutch (not by a rule of
    the API's schema in English JSON); a field a form's rules refuse is named on a Dutch
    page (the page of a form), and in the API's ``message`` beside FastAPI's ``detail``."""
    case_id = make_lab("vlas_inv").create_case("Leeg").id
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    client.get("/cases", params={"lang": "nl"})
    empty = _start(client, headers, case_id, filename="leeg.dd", size=0)
    _dutch(empty, 422, "leeg.dd is leeg (0 bytes); er is niets op te nemen.")
    assert make_lab("vlas_inv").list_evidence(case_id) == []

    untitled = client.post("/cases/new", data={"csrf": csrf})
    assert untitled.status_code == 422 and "text/html" in untitled.headers["content-type"]
    assert "Ongeldige of ontbrekende invoer in: title." in _main(untitled.text)
    nameless = _start(client, headers, case_id, description="")
    assert nameless.status_code == 422 and isinstance(nameless.json()["detail"], list)
    assert nameless.json()["message"] == "Ongeldige of ontbrekende invoer in: description."


@WEB
def test_closed_case_refusals_are_said_in_dutch(
    client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """A closed case, Dutch chosen: an upload into it and closing it again are refused in
    Dutch naming the case."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Gesloten")
    vlas.close_case(case.id, reason="afgerond")
    csrf = login(client, "vlas_inv")
    client.get("/cases", params={"lang": "nl"})
    upload = _start(client, {"X-CSRF-Token": csrf}, case.id)
    _dutch(upload, 422, f"Dossier {case.number} is niet meer open.")
    again = client.post(
        f"/cases/{case.id}/close", data={"csrf": csrf, "reason": "nogmaals"}, follow_redirects=True
    )
    shown = _notice(again.text)
    assert f"Dossier {case.number} is niet meer open." in shown and not ENGLISH.search(shown)


@WEB
def test_http_errors_are_said_in_dutch(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """An unknown address is a Dutch page (not Starlette's "Not Found"); the upload page's
    calls without the CSRF header or after the session ended get a Dutch ``message``
    beside the API's English ``detail``."""
    unknown = client.get("/geen/pagina", params={"lang": "nl"})
    assert unknown.status_code == 404 and "Deze pagina bestaat niet." in _main(unknown.text)
    assert "Not Found" not in unknown.text
    case_id = make_lab("vlas_inv").create_case("HTTP").id
    ended = client.post(f"/api/v1/cases/{case_id}/uploads", json={})
    _dutch(ended, 401, "U bent niet (meer) aangemeld; meld u opnieuw aan.")
    login(client, "vlas_inv")
    no_token = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        json={"filename": "usb.dd", "size": 10, "description": "USB"},
    )
    _dutch(no_token, 403, "Het formulier is verlopen of ongeldig; laad de pagina opnieuw.")


@WEB
def test_image_refusals_are_said_in_dutch(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """A single-file upload of a container lccu does not read (VDI, AFF, DMG, gzip), Dutch
    chosen, is refused as `lccu evidence add` refuses it, in Dutch with the container's
    kind and what to do; a truncated E01 is refused naming the offset it cannot decode.
    Nothing becomes evidence."""
    import struct

    from tests.web.test_uploads_media import send

    case_id = make_lab("vlas_inv").create_case("Formaten").id
    csrf = login(client, "vlas_inv")
    client.get("/cases", params={"lang": "nl"})
    tries = [
        ("schijf.vdi", bytes(64) + struct.pack("<I", 0xBEDA107F) + DATA,
         "schijf.vdi is een VirtualBox-schijfimage (VDI); dat leest lccu niet: zet het eerst "
         "om naar raw"),
        ("schijf.aff", b"AFF10\r\n\x00" + DATA,
         "schijf.aff is een AFF-image (Advanced Forensic Format); dat leest lccu niet: "
         "exporteer het naar raw met affconvert"),
        ("schijf.dmg", DATA + b"koly" + bytes(508),
         "schijf.dmg is een Apple-schijfimage (DMG/UDIF); dat leest lccu niet: zet het om "
         "naar raw op een Mac"),
        ("schijf.dd.gz", b"\x1f\x8b\x08\x00" + DATA,
         "schijf.dd.gz is een met gzip gecomprimeerd bestand; dat leest lccu niet: pak het "
         "eerst uit"),
    ]  # fmt: skip
    for name, data, dutch in tries:
        answer = send(client, csrf, case_id, [(name, data)])
        shown = _dutch(answer, 400, dutch)
        assert "does not read" in answer.json()["detail"], shown
    from tests.imaging.conftest import corpus_dir

    e01 = (corpus_dir() / "dfvfs" / "ext2.E01").read_bytes()
    cut = send(client, csrf, case_id, [("kort.E01", e01[: len(e01) // 2])])
    _dutch(cut, 400, "kort.E01: de gegevens op media-offset 0 zijn niet te decoderen; de "
           "container is beschadigd of afgekapt.")  # fmt: skip
    qcow = (corpus_dir() / "dfvfs" / "ext2.qcow2").read_bytes()
    cut_qcow = send(client, csrf, case_id, [("kort.qcow2", qcow[: len(qcow) * 6 // 10])])
    _dutch(cut_qcow, 400, "de gegevens op bestandsoffset 262144 liggen voorbij het einde van "
           "het bestand; het image is afgekapt.")  # fmt: skip
    assert make_lab("vlas_inv").list_evidence(case_id) == []


def test_every_unsupported_container_is_named_in_both_languages() -> None:
    """Each container kind lccu recognises but does not read has its name and its advice
    in Dutch and English (what err_image_unsupported fills in)."""
    from lccu.imaging import signatures

    kinds = {row[0] for row in signatures._HEAD_TABLE if row[4]} | {"dmg"}
    assert {"l01", "vdi", "aff", "zip", "gzip"} <= kinds
    for kind in kinds:
        for prefix in ("container_", "container_advice_"):
            entry = STRINGS.get(prefix + kind)
            assert entry and entry["nl"] and entry["en"], prefix + kind
    from lccu.imaging.qcow import _INCOMPATIBLE

    for bit in _INCOMPATIBLE:  # what err_qcow_feature names
        entry = STRINGS.get(f"qcow_feature_{bit}")
        assert entry and entry["nl"] and entry["en"], bit


@WEB
def test_custody_rule_and_question_refusals_are_said_in_dutch(
    client: TestClient, make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """Dutch chosen: custody events from the case page that would break the chain (a seal
    recorded before the event that is not the item's seal, a hand-over by someone who does
    not hold the item, to oneself, a witness on a note, handling after destruction) are
    refused naming the rule and its facts (the custody fields too) in Dutch; a case
    question with a NUL character is refused in Dutch, and an empty or too long one (which
    the forms' limits keep from the library) is said in Dutch when the library refuses
    it."""
    from lccu.errors import InvalidInput
    from lccu.web.messages import user_message
    from tests.web.test_case_actions import add_item

    case = make_lab("vlas_inv").create_case("Bewaring")
    item = add_item(make_lab, case.id, tmp_path)
    make_lab("op").add_user("vlas_two", "PZ Vlas", "investigator")
    csrf = login(client, "vlas_inv")
    client.get("/cases", params={"lang": "nl"})
    tries = [
        ({"action": "seal_broken", "seal_before": "S-9999"},
         "de zegel van stuk EXH-001 staat vóór deze gebeurtenis als S-9999 genoteerd, maar na "
         "de vorige gebeurtenis was de zegel S-1001 (sinds gebeurtenis 2)"),
        ({"action": "transferred", "released_by": "vlas_two", "received_by": "vlas_inv"},
         "stuk EXH-001 werd afgegeven door vlas_two, maar op dat moment had vlas_inv het in "
         "bewaring (sinds gebeurtenis 2)"),
        ({"action": "transferred", "received_by": "vlas_inv"},
         "vlas_inv kan een stuk niet aan zichzelf overdragen"),
        ({"action": "transferred", "received_by": "niemand"}, "er is geen gebruiker niemand"),
        ({"action": "note", "witness": "vlas_two"},
         "Getuige horen bij een overdracht, uitlening, terugbrenging, teruggave of "
         "vernietiging, niet bij een gebeurtenis"),
        ({"action": "destroyed"}, ""),
        ({"action": "checked_out", "location": "Labo 2"},
         "een gebeurtenis 'uitgeleend (uit de bewaarplaats)' voor stuk EXH-001 nadat het bij "
         "gebeurtenis 3 als 'vernietigd' werd vastgelegd"),
    ]  # fmt: skip
    for form, dutch in tries:
        answer = client.post(
            f"/cases/{case.id}/custody",
            data={"csrf": csrf, "evidence": item, "reason": "r", **form},
            follow_redirects=False,
        )
        assert answer.status_code == 303, (form, answer.text)
        shown = _notice(client.get(f"/cases/{case.id}", params={"lang": "nl"}).text)
        assert dutch in shown, (form, shown)
        if dutch:
            assert "Gebeurtenis niet vastgelegd: ze zou de bewaringsketen breken" in shown
            assert not re.search(r"\b(was released|recorded as|custodian|no user)\b", shown)

    nul = client.post("/cases/new", data={"csrf": csrf, "title": "Vraag", "question": "a\x00b"})
    assert nul.status_code == 422 and "De vraag bevat een NUL-teken." in _main(nul.text)
    lab = make_lab("vlas_inv")
    for question, dutch in [
        (" ", "De vraag is leeg."),
        ("v" * 4001, "De vraag is 4001 tekens lang; ten hoogste 4000."),
    ]:
        with pytest.raises(InvalidInput) as refused:
            lab.set_question(case.id, question)
        assert user_message(refused.value, "nl") == dutch


@WEB
def test_store_and_intake_failures_are_said_in_dutch(
    client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """Dutch chosen, for real: the local evidence store cannot write the item (its case
    folder's place is taken by a regular file, which stops root as well as anyone); another
    intake put a file under the item's name while this one was being written; two VMDK
    descriptor files in one upload. Each is refused in Dutch, and nothing becomes evidence."""
    from tests.web.test_uploads_media import send

    lab = make_lab("vlas_inv")
    store = Path(lab.settings.evidence_dir) / "cases"
    csrf = login(client, "vlas_inv")
    client.get("/cases", params={"lang": "nl"})

    blocked = lab.create_case("Geblokkeerd").id
    store.mkdir(parents=True, exist_ok=True)
    (store / blocked).write_bytes(b"not a folder")
    headers = {"X-CSRF-Token": csrf}
    start = _start(client, headers, blocked)
    assert start.status_code == 201, start.text
    upload = start.json()["upload_id"]
    sent = client.put(
        f"/api/v1/uploads/{upload}", params={"offset": 0}, content=DATA, headers=headers
    )  # the store's refusal comes with these bytes or, if they were faster, with completing
    if sent.status_code == 200:
        sent = client.post(f"/api/v1/uploads/{upload}/complete", headers=headers)
    _dutch(sent, 503, "Het stuk kon niet in de bewijsopslag worden geschreven")

    raced = lab.create_case("Gelijktijdig").id
    _upload_id, _ = upload_file(client, csrf, raced, DATA, complete=False)
    [partial] = (store / raced).glob("*/.lccu-partial-*")
    (partial.parent / "image.dd").write_bytes(b"the other intake's copy")
    done = client.post(f"/api/v1/uploads/{_upload_id}/complete", headers=headers)
    _dutch(done, 409, "Een andere opname schreef tegelijk een stuk onder dezelfde naam")
    assert (partial.parent / "image.dd").read_bytes() == b"the other intake's copy"

    vmdk = lab.create_case("Twee schijven").id
    descriptor = b"# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
    answer = send(client, csrf, vmdk, [("a.vmdk", descriptor), ("b.vmdk", descriptor)])
    _dutch(answer, 422, "2 VMDK-beschrijvingsbestanden (a.vmdk, b.vmdk); neem één schijf")
    for case in (blocked, raced, vmdk):
        assert lab.list_evidence(case) == []
