"""`lccu zone` and `lccu user`: the unit's zones and users (operators only, after bootstrap)."""

from __future__ import annotations

import click

from lccu.cli.app import State, cells, cli, console, emit_json, new_table, pass_state, plain
from lccu.evidence.terms import ROLES


@cli.group()
def zone() -> None:
    """Police zones sharing the unit."""


@zone.command("add")
@click.argument("name")
@pass_state
def zone_add(state: State, name: str) -> None:
    """Create a zone (e.g. "PZ Vlas")."""
    plain(f"zone {state.lab(need_user=False).add_zone(name)} created")


@zone.command("list")
@pass_state
def zone_list(state: State) -> None:
    """List the zones."""
    for name in state.lab(need_user=False).zones():
        plain(name)


@cli.group()
def user() -> None:
    """Users, their zone, role and signing key."""


@user.command("add")
@click.argument("username")
@click.option("--zone", "zone_name", required=True, help="The user's police zone.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--full-name", default=None)
@pass_state
def user_add(state: State, username: str, zone_name: str, role: str,
             full_name: str | None) -> None:
    """Create a user and their Ed25519 signing key (the first user must be the unit admin)."""
    info = state.lab(need_user=False).add_user(username, zone_name, role, full_name)
    plain(f"user {info.username} ({info.role}, {info.zone}) created; signing key "
          f"{info.key_id}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def user_list(state: State, as_json: bool) -> None:
    """List users with their key fingerprints."""
    users = state.lab(need_user=False).users()
    if as_json:
        emit_json([u.__dict__ for u in users])
        return
    table = new_table("user", "zone", "role", "key id")
    for u in users:
        table.add_row(*cells(u.username, u.zone, u.role, u.key_id[:16] + "..."))
    console.print(table)


@user.command("revoke-key")
@click.argument("username")
@click.option("--reason", required=True, help="Why (lost laptop, exposed passphrase ...).")
@pass_state
def user_revoke_key(state: State, username: str, reason: str) -> None:
    """Revoke USERNAME's signing key from now on, in the unit's key registry: what it signs
    later fails verification; what it signed before stays valid."""
    entry = state.lab().revoke_key(username, reason)
    plain(f"key {entry['key_id'][:16]}... of {username} revoked (registry entry "
          f"#{entry['seq']})")


@user.command("rotate-key")
@click.argument("username")
@click.option("--reason", default=None)
@pass_state
def user_rotate_key(state: State, username: str, reason: str | None) -> None:
    """Give USERNAME a new signing key certified from now; events signed with the old key
    stay verifiable."""
    info = state.lab().rotate_key(username, reason)
    plain(f"new key {info.key_id[:16]}... for {username}")


@cli.group()
def unit() -> None:
    """The unit's own key, which certifies every user's signing key."""


@unit.command("key")
@pass_state
def unit_key(state: State) -> None:
    """Print the unit's public key (created on first use by an operator): note it in the
    unit's procedures; verifiers pass it as --unit-key."""
    plain(state.lab(need_user=False).unit_key())


@unit.command("protect")
@pass_state
def unit_protect(state: State) -> None:
    """Encrypt a unit key left in clear by an older lccu with the unit passphrase
    (LCCU_UNIT_PASSPHRASE, or asked twice). Unit admins only."""
    state.lab().protect_unit_key()
    plain("the unit key is encrypted with the unit passphrase")


@cli.group()
def key() -> None:
    """Your own signing key."""


@key.command("protect")
@pass_state
def key_protect(state: State) -> None:
    """Encrypt your signing key left in clear by an older lccu (and your clear retired keys)
    with a new passphrase (LCCU_NEW_PASSPHRASE, or asked twice): until then it signs
    nothing. `lccu key check` lists the keys still in clear."""
    lab = state.lab()
    count = lab.protect_key()
    plain(f"the signing key of {lab.actor.username} is encrypted with the new passphrase "
          f"({count} file(s) in clear encrypted)")


@key.command("check")
@pass_state
def key_check(state: State) -> None:
    """List the key files of this machine stored in clear by an older lccu, each with the
    command that encrypts it; exit 1 when there is one."""
    found = state.lab(need_user=False).clear_keys()
    for name in found:
        how = ("lccu --as ADMIN unit protect" if name.startswith("unit/")
               else f"lccu --as {name.split('.ed25519.')[0]} key protect")
        plain(f"in clear: {name} (encrypt it: {how})")
    if found:
        raise SystemExit(1)
    plain("no signing key in clear")


@key.command("passphrase")
@pass_state
def key_passphrase(state: State) -> None:
    """Encrypt your signing key with a new passphrase (LCCU_NEW_PASSPHRASE, or asked twice);
    an encrypted key is unlocked first with the current one (LCCU_PASSPHRASE, or asked)."""
    lab = state.lab()
    lab.protect_key()
    plain(f"the signing key of {lab.actor.username} is encrypted with the new passphrase")
