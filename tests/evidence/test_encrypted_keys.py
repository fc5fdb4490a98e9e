"""Signing keys encrypted with their user's passphrase: without it nobody signs as that
user, even with the lab folder in hand; rotation keeps old events verifiable."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from lccu.cli.main import cli
from lccu.config import Settings
from lccu.evidence.keys import KeyLocked
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
    code, out = _cli(
        lab_settings, "op", "custody", "countersign", case.id, str(seq), LCCU_PASSPHRASE=PASSPHRASE
    )
    assert code == 0, out
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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_key_passphrase_protects_a_clear_key(
    lab_settings: Settings, make_lab: Callable[..., Lab]
) -> None:
    """`lccu key passphrase` encrypts a key made before keys were encrypted."""
    clear = dataclasses.replace(lab_settings, new_passphrase=None)
    admin = make_lab("admin")
    admin.settings = clear
    admin.add_user("legacy", "PZ Vlas", "investigator")
    assert (clear.key_dir / "legacy.ed25519.pem").exists()
    code, out = _cli(
        lab_settings, "legacy", "key", "passphrase", LCCU_NEW_PASSPHRASE="a new passphrase"
    )
    assert code == 0, out
    assert not (clear.key_dir / "legacy.ed25519.pem").exists()
    assert (clear.key_dir / "legacy.ed25519.key").exists()
    code, out = _cli(
        lab_settings, "legacy", "case", "create", "--title", "x", LCCU_PASSPHRASE="a new passphrase"
    )
    assert code == 0, out


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
