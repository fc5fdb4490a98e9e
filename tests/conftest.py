"""Shared fixtures: real services (S3, Redis, PostgreSQL) and a throw-away LCCU_HOME."""

pytest_plugins = [
    "lccu.testing.pytest_services",
    "lccu.testing.pytest_db",
    "lccu.testing.pytest_disks",
]
