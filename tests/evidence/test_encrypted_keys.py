"""Signing keys encrypted with their user's passphrase: without it nobody signs as that
user, even with the lab folder in hand; rotation keeps old events verifiable."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from lccu.cli.main import cli
from lccu.config import Settings
from lccu.errors import InvalidInput
from lccu.evidence.keys import KeyLocked, decrypt_key
from lccu.evidence.lab import Lab

PASSPHRASE = "correct horse battery staple"
UNIT_PASSPHRASE = "the unit's own passphrase"


@pytest.fixture
def lab_settings(lab_settings: Settings) -> Settings:
    """Every user's key encrypted with PASSPHRASE (cheap argon2 for tests: LCCU_KEY_KDF)."""
    return dataclasses.replace(
        lab_settings,
        passphrase=PASSPHRASE,
        new_passphrase=PASSPHRASE,
        unit_passphrase=UNIT_PASSPHRASE,
        key_kdf="test",
    )


def _cli(settings: Settings, user: str, *args: str, **extra: str) -> tuple[int, str]:
    env = {
        "LCCU_HOME": str(settings.home),
        "LCCU_DATABASE_URL": settings.database_url,
        "LCCU_USER": user,
        "LCCU_KEY_KDF": "test",
        "LCCU_PASSPHRASE": "",
        **extra,
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_countersign_needs_the_users_passphrase(
    make_lab: Callable[..., Lab], lab_settings: Settings, image_file: Path
) -> None:
    """Anyone with a shell on the server can run `lccu --as op custody countersign`, but
    without op's passphrase it is refused; the key file holds no clear private key."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Encrypted keys")
    item = vlas.add_evidence(case.id, image_file, description="disk")
    seq = vlas.transfer(case.id, item.id, received_by="op", to_location="locker 1")["seq"]
    key_file = lab_settings.key_dir / "op.ed25519.key"
    record = json.loads(key_file.read_text())
    assert record["kdf"]["name"] == "argon2id" and "PRIVATE KEY" not in key_file.read_text()
    assert not (lab_settings.key_dir / "op.ed25519.pem").exists()
    code, out = _cli(lab_settings, "op", "custody", "countersign", case.id, str(seq))
    assert code == 1 and "encrypted" in out, out
    code, out = _cli(
        lab_settings,
        "op",
        "custody",
        "countersign",
        case.id,
        str(seq),
        LCCU_PASSPHRASE="guessed wrong",
    )
    assert code == 1 and "does not unlock" in out, out
    assert vlas.countersign_status(case.id)["countersignatures"] == []
    # each refusal is one audit entry, refused, and nothing was audited as allowed
    assert _audit(vlas, "op", "custody.countersign") == [False, False]
    code, out = _cli(
        lab_settings, "op", "custody", "countersign", case.id, str(seq), LCCU_PASSPHRASE=PASSPHRASE
    )
    assert code == 0, out
    assert _audit(vlas, "op", "custody.countersign") == [False, False, True]
    assert vlas.verify_custody(case.id).ok
    # a Lab without the passphrase cannot sign either
    locked = make_lab("polder_inv")
    locked.settings = dataclasses.replace(lab_settings, passphrase=None)
    locked.keys._unlocked.clear()
    with pytest.raises(KeyLocked):
        locked.keys.load("polder_inv")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rotated_encrypted_key_keeps_old_events(
    make_lab: Callable[..., Lab], image_file: Path
) -> None:
    """An encrypted key rotated by an operator: events before and after verify."""
    vlas, admin = make_lab("vlas_inv"), make_lab("admin")
    case = vlas.create_case("Rotation")
    vlas.add_evidence(case.id, image_file, description="disk")
    admin.rotate_key("vlas_inv", "yearly")
    fresh = make_lab("vlas_inv")
    fresh.record_event(case.id, "note", reason="with the new key")
    assert fresh.verify_custody(case.id).ok


def _audit(lab: Lab, user: str, operation: str) -> list[bool]:
    with lab.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT allowed FROM audit_log WHERE username = :u AND "
                                 "operation = :o ORDER BY seq"), {"u": user, "o": operation})
        return [bool(r[0]) for r in rows]


def _to_clear(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` as an older lccu did: PKCS#8 PEM in clear, mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_new_key_without_passphrase_is_an_error(
    lab_settings: Settings, make_lab: Callable[..., Lab]
) -> None:
    """Creating or rotating a key with no passphrase (no prompt, no LCCU_NEW_PASSPHRASE) is
    an input error saying how to give one, and leaves nothing behind: no key in clear, no
    user, the old key still in use."""
    admin = make_lab("admin")
    admin.settings = dataclasses.replace(lab_settings, new_passphrase=None)
    with pytest.raises(InvalidInput, match="LCCU_NEW_PASSPHRASE"):
        admin.add_user("nokey", "PZ Vlas", "investigator")
    assert "nokey" not in [u.username for u in admin.users()]
    code, out = _cli(lab_settings, "admin", "user", "add", "nokey2", "--zone", "PZ Vlas",
                     "--role", "investigator", LCCU_PASSPHRASE=PASSPHRASE)
    assert code == 2 and "prompt" in out and "LCCU_NEW_PASSPHRASE" in out, out
    assert "nokey2" not in [u.username for u in admin.users()]
    before = (lab_settings.key_dir / "vlas_inv.ed25519.key").read_bytes()
    code, out = _cli(lab_settings, "admin", "user", "rotate-key", "vlas_inv",
                     LCCU_PASSPHRASE=PASSPHRASE, LCCU_UNIT_PASSPHRASE=UNIT_PASSPHRASE)
    assert code == 2 and "LCCU_NEW_PASSPHRASE" in out, out
    assert (lab_settings.key_dir / "vlas_inv.ed25519.key").read_bytes() == before
    names = sorted(p.name for p in lab_settings.key_dir.iterdir())
    assert not [n for n in names if n.startswith("nokey") or ".pem" in n], names
    # a new unit: without a unit passphrase its key is not made either
    fresh = {"LCCU_HOME": str(lab_settings.home.parent / "fresh"),
             "LCCU_DATABASE_URL": f"sqlite:///{lab_settings.home.parent / 'fresh.sqlite3'}",
             "LCCU_USER": ""}
    assert CliRunner().invoke(cli, ["zone", "add", "PZ Vlas"], env=fresh).exit_code == 0
    result = CliRunner().invoke(cli, ["user", "add", "first", "--zone", "PZ Vlas", "--role",
                                      "admin"], env={**fresh, "LCCU_NEW_PASSPHRASE": PASSPHRASE,
                                                     "LCCU_KEY_KDF": "test"})
    assert result.exit_code == 2 and "LCCU_UNIT_PASSPHRASE" in result.output, result.output
    keys = lab_settings.home.parent / "fresh" / "keys"
    assert not [p for p in keys.rglob("*") if p.is_file()] if keys.exists() else True


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_key_file_holds_a_clear_key(
    lab_settings: Settings, make_lab: Callable[..., Lab]
) -> None:
    """After users are added, rotated and re-protected through the library and the CLI,
    no file under the key folder holds a PEM private key or any user's or the unit's raw
    private key bytes: each is an argon2id/AES-GCM record."""
    admin = make_lab("admin")
    admin.rotate_key("polder_an", "yearly")
    assert _cli(lab_settings, "admin", "user", "add", "cli_user", "--zone", "PZ Vlas",
                "--role", "investigator", LCCU_PASSPHRASE=PASSPHRASE,
                LCCU_NEW_PASSPHRASE=PASSPHRASE, LCCU_UNIT_PASSPHRASE=UNIT_PASSPHRASE)[0] == 0
    assert _cli(lab_settings, "admin", "user", "rotate-key", "cli_user",
                LCCU_PASSPHRASE=PASSPHRASE, LCCU_NEW_PASSPHRASE=PASSPHRASE,
                LCCU_UNIT_PASSPHRASE=UNIT_PASSPHRASE)[0] == 0
    assert _cli(lab_settings, "vlas_inv", "key", "passphrase", LCCU_PASSPHRASE=PASSPHRASE,
                LCCU_NEW_PASSPHRASE="another passphrase")[0] == 0
    files = [p for p in lab_settings.key_dir.rglob("*") if p.is_file()]
    secrets = []
    for user, words in [("vlas_inv", "another passphrase"), ("admin", PASSPHRASE),
                        ("cli_user", PASSPHRASE), ("polder_an", PASSPHRASE)]:
        record = json.loads((lab_settings.key_dir / f"{user}.ed25519.key").read_text())
        secrets.append(_raw(decrypt_key(record, words)))
    unit = json.loads((lab_settings.key_dir / "unit" / "unit.ed25519.key").read_text())
    secrets.append(_raw(decrypt_key(unit, UNIT_PASSPHRASE)))
    assert len(files) >= 8  # six users, two rotated keys kept aside, the unit key
    for path in files:
        data = path.read_bytes()
        assert b"PRIVATE KEY" not in data, path
        assert json.loads(data)["format"] == "lccu-key/1", path
        assert not [s for s in secrets if s in data or s.hex().encode() in data], path
        assert path.stat().st_mode & 0o077 == 0, path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_clear_keys_from_an_older_install(
    lab_settings: Settings, make_lab: Callable[..., Lab]
) -> None:
    """Keys an older lccu left in clear (a user's current and retired key, the unit key)
    are listed by `lccu key check`, refused for signing (exit 2, saying how, audited once)
    and encrypted by `lccu key protect` / `lccu unit protect`, after which they sign with
    the new passphrase."""
    folder = lab_settings.key_dir
    sealed = folder / "vlas_inv.ed25519.key"
    key = decrypt_key(json.loads(sealed.read_text()), PASSPHRASE)
    sealed.unlink()
    _to_clear(folder / "vlas_inv.ed25519.pem", key)
    old = Ed25519PrivateKey.generate()
    _to_clear(folder / "vlas_inv.ed25519.pem.0123456789abcdef.retired", old)
    unit_sealed = folder / "unit" / "unit.ed25519.key"
    unit = decrypt_key(json.loads(unit_sealed.read_text()), UNIT_PASSPHRASE)
    unit_sealed.unlink()
    _to_clear(folder / "unit" / "unit.ed25519.pem", unit)

    code, out = _cli(lab_settings, "", "key", "check")
    assert code == 1, out
    assert "vlas_inv.ed25519.pem (encrypt it: lccu --as vlas_inv key protect)" in out, out
    assert "unit/unit.ed25519.pem (encrypt it: lccu --as ADMIN unit protect)" in out, out
    code, out = _cli(lab_settings, "vlas_inv", "case", "create", "--title", "x",
                     LCCU_PASSPHRASE=PASSPHRASE)
    assert code == 2 and "stored in clear" in out and "key protect" in out, out
    admin = make_lab("admin")
    assert _audit(admin, "vlas_inv", "case.create") == [False]

    code, out = _cli(lab_settings, "vlas_inv", "key", "protect",
                     LCCU_NEW_PASSPHRASE="a new passphrase")
    assert code == 0 and "2 file(s) in clear encrypted" in out, out
    code, out = _cli(lab_settings, "admin", "unit", "protect", LCCU_PASSPHRASE=PASSPHRASE,
                     LCCU_UNIT_PASSPHRASE="a new unit passphrase")
    assert code == 0, out
    assert _cli(lab_settings, "", "key", "check") == (0, "no signing key in clear\n")
    record = json.loads(sealed.read_text())
    assert _raw(decrypt_key(record, "a new passphrase")) == _raw(key)
    retired = json.loads((folder / "vlas_inv.ed25519.key.0123456789abcdef.retired").read_text())
    assert _raw(decrypt_key(retired, "a new passphrase")) == _raw(old)
    assert _raw(decrypt_key(json.loads(unit_sealed.read_text()),
                            "a new unit passphrase")) == _raw(unit)
    code, out = _cli(lab_settings, "vlas_inv", "case", "create", "--title", "x",
                     LCCU_PASSPHRASE="a new passphrase")
    assert code == 0, out
    assert _audit(admin, "vlas_inv", "key.passphrase") == [True]
    assert _audit(admin, "admin", "unit.key.protect") == [True]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unit_key_encrypted(lab_settings: Settings, make_lab: Callable[..., Lab]) -> None:
    """The unit key encrypted with the unit passphrase: its public half is printed without
    it, but certifying a new user's key needs it."""
    admin = make_lab("admin")
    sealed = lab_settings.key_dir / "unit" / "unit.ed25519.key"
    assert sealed.exists() and "PRIVATE KEY" not in sealed.read_text()
    assert not (lab_settings.key_dir / "unit" / "unit.ed25519.pem").exists()
    public = admin.unit_key()
    assert json.loads(sealed.read_text())["public_key"] == public
    locked = make_lab("admin")
    locked.settings = dataclasses.replace(lab_settings, unit_passphrase=None)
    with pytest.raises(KeyLocked, match="unit key is encrypted"):
        locked.add_user("nobody", "PZ Vlas", "investigator")
    code, out = _cli(
        lab_settings,
        "admin",
        "user",
        "add",
        "newbie",
        "--zone",
        "PZ Vlas",
        "--role",
        "investigator",
        LCCU_PASSPHRASE=PASSPHRASE,
        LCCU_NEW_PASSPHRASE=PASSPHRASE,
        LCCU_UNIT_PASSPHRASE="wrong unit words",
    )
    assert code == 1 and "does not unlock" in out, out
    code, out = _cli(
        lab_settings,
        "admin",
        "user",
        "add",
        "newbie",
        "--zone",
        "PZ Vlas",
        "--role",
        "investigator",
        LCCU_PASSPHRASE=PASSPHRASE,
        LCCU_NEW_PASSPHRASE=PASSPHRASE,
        LCCU_UNIT_PASSPHRASE=UNIT_PASSPHRASE,
    )
    assert code == 0, out
    assert make_lab("newbie").actor.username == "newbie"
