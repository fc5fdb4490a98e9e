"""Shared fixtures: real services (S3, Redis, PostgreSQL) and a throw-away LCCU_HOME."""

import os

pytest_plugins = [
    "lccu.testing.pytest_services",
    "lccu.testing.pytest_db",
    "lccu.testing.pytest_disks",
]

# Dramatiq's idle poll: a worker whose queue was empty backs off up to this many ms before
# it looks again (Dramatiq's default 1000). Every `lccu worker` a test starts inherits it, so
# a stage sent to an idle worker is picked up within 0.1 s, not up to 1 s later; the work
# and its checks are the same. Tests of the processing stages wait for it again and again.
os.environ.setdefault("dramatiq_worker_timeout", "100")
