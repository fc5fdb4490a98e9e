"""Processing run state: runs, stage runs (the queue's units), reusable stage results.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processing_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("evidence_id", sa.String(36), sa.ForeignKey(
            "evidence_items.id", name="fk_processing_runs_evidence_id_evidence_items"),
            nullable=False),
        sa.Column("case_id", sa.String(36), sa.ForeignKey(
            "cases.id", name="fk_processing_runs_case_id_cases"), nullable=False),
        sa.Column("zone", sa.String(100), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("submitted_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40)),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("report_key", sa.Text),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_processing_runs"),
    )
    op.create_index("ix_processing_runs_evidence_id", "processing_runs", ["evidence_id"])
    op.create_table(
        "stage_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey(
            "processing_runs.id", name="fk_stage_runs_run_id_processing_runs"),
            nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("segment", sa.Integer, nullable=False),
        sa.Column("seg_start", sa.BigInteger, nullable=False),
        sa.Column("seg_end", sa.BigInteger, nullable=False),
        sa.Column("zone", sa.String(100), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("queued_at", sa.String(40), nullable=False),
        sa.Column("started_at", sa.String(40)),
        sa.Column("finished_at", sa.String(40)),
        sa.Column("claim_seq", sa.BigInteger),
        sa.Column("claim_token", sa.String(36)),
        sa.Column("worker_host", sa.String(200)),
        sa.Column("lease_until", sa.BigInteger),
        sa.Column("heartbeat_at", sa.String(40)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("progress_done", sa.BigInteger, nullable=False),
        sa.Column("progress_total", sa.BigInteger),
        sa.Column("reason", sa.Text),
        sa.Column("cache_key", sa.String(64)),
        sa.Column("result_key", sa.Text),
        sa.Column("result_digest", sa.String(64)),
        sa.Column("reused", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stage_runs"),
        sa.UniqueConstraint("run_id", "stage", "segment", name="uq_stage_runs_run_id"),
    )
    op.create_index("ix_stage_runs_run_id", "stage_runs", ["run_id"])
    op.create_index("ix_stage_runs_zone", "stage_runs", ["zone"])
    op.create_index("ix_stage_runs_state", "stage_runs", ["state"])
    op.create_table(
        "stage_results",
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("evidence_sha256", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("segment", sa.Integer, nullable=False),
        sa.Column("versions", sa.Text, nullable=False),
        sa.Column("result_key", sa.Text, nullable=False),
        sa.Column("result_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("cache_key", name="pk_stage_results"),
    )
    op.create_index("ix_stage_results_evidence_sha256", "stage_results", ["evidence_sha256"])


def downgrade() -> None:
    op.drop_table("stage_results")
    op.drop_table("stage_runs")
    op.drop_table("processing_runs")
