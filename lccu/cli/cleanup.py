"""`lccu admin cleanup-uploads`: remove what intakes cut short left in the store."""

from __future__ import annotations

import click

from lccu.cli.app import State, cli, emit_json, pass_state, plain


@cli.group()
def admin() -> None:
    """Unit administration of the store (unit admins)."""


def say(report: dict[str, list[dict[str, object]]], prefix: str = "") -> None:
    """One line per leftover removed and per committed object no item records, and how
    many were kept and why."""
    for gone in report["removed"]:
        plain(
            f"{prefix}removed {gone['kind']} {gone.get('key', '')} (case {gone['case_id']}, "
            f"item {gone['item_id']}, since {gone['since']})".replace("  ", " ")
        )
    for left in report.get("unrecorded", []):
        plain(
            f"{prefix}KEPT evidence object {left['key']} committed by an intake that did not "
            f"finish: no item records it (case {left['case_id']}, item {left['item_id']}); "
            "tell the evidence officer"
        )
    kept = report["kept"]
    live = sum(1 for k in kept if str(k["why"]).startswith("intake alive"))
    plain(
        f"{prefix}{len(report['removed'])} removed; {len(kept)} kept ({live} of intakes "
        f"still alive, {len(kept) - live} younger than the grace period)"
    )


@admin.command("cleanup-uploads")
@click.option(
    "--grace-minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Remove only what is older than this (default: LCCU_UPLOAD_GRACE_MINUTES).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def cleanup_uploads(state: State, grace_minutes: float | None, as_json: bool) -> None:
    """Remove partial files, unfinished S3 multipart uploads and staging copies left by
    intakes that stopped (a killed `lccu serve`), older than the grace period and whose
    intake renews no lease; never evidence. Each removal is audited (upload.cleanup)."""
    from lccu.evidence.upload_cleanup import clean_up_as_admin

    report = clean_up_as_admin(state.lab(), grace_minutes)
    if as_json:
        emit_json(report)
        return
    say(report)
