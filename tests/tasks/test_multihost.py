"""Several hosts, tested as several hosts: Redis, PostgreSQL and an S3 server in one network
namespace, two worker hosts (`lccu worker --processes 2` each) in two others, items of two
zones processed, one host's workers killed mid-run; every run completes once and custody
verifies (docs/deployment.md describes the same layout on real servers)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lccu.testing.hosts import Hosts, hosts, json_of
from lccu.testing.images import PlantedManifest
from lccu.testing.keys import KEY_ENV

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("timed")]  # one timed test at once
LEASE = "4"
SEGMENT = str(16 * 1024 * 1024)
ZONES = {"vlas_inv": "PZ Vlas", "polder_inv": "PZ Polder"}
PADDED = 192 * 1024 * 1024


@pytest.fixture
def net() -> Iterator[Hosts]:
    try:
        with hosts(2) as made:
            yield made
    except RuntimeError as exc:  # no root or no ip netns: the test fails, never skips
        pytest.fail(f"cannot build the network namespaces: {exc}")


def env_for(net: Hosts, home: Path, anchors: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    return env | net.urls() | {
        "LCCU_HOME": str(home), "LCCU_ANCHOR_DIR": str(anchors), "LCCU_S3_BUCKET": "lccu-hosts",
        "LCCU_S3_RETENTION_DAYS": "1", "LCCU_LEASE_SECONDS": LEASE,
        "LCCU_BROKER_HEARTBEAT_MS": "3000", "LCCU_BROKER_MAINTENANCE": "1000000",
        "LCCU_SEGMENT_SIZE": SEGMENT} | KEY_ENV | extra


def test_two_hosts_one_killed_runs_complete_once(net: Hosts,
                                                 planted_disk: PlantedManifest) -> None:
    """Both zones' runs finish with every stage done and exactly one `processed` custody
    event per stage, although worker host 1 lost power while holding a stage; host 2 took
    the work over and custody of both cases verifies."""
    anchors = net.base / "anchors"  # shared storage, as the deployment guide asks
    desk = env_for(net, net.base / "desk", anchors)
    desk_ns = net.host(2)

    def lccu(*args: str, user: str | None = None) -> Any:
        who = ["--as", user] if user else []
        return net.exec(desk_ns, [sys.executable, "-m", "lccu.cli.main", *who, *args], desk)

    for zone in ZONES.values():
        ok(lccu("zone", "add", zone))
    ok(lccu("user", "add", "admin", "--zone", "PZ Vlas", "--role", "admin"))
    ok(lccu("user", "add", "op", "--zone", "PZ Vlas", "--role", "operator", user="admin"))
    for user, zone in ZONES.items():
        ok(lccu("user", "add", user, "--zone", zone, "--role", "investigator",
                        user="admin"))
    # the sample disk padded to 192 MiB (sparse): processing the small disk alone takes less
    # time than a few status polls on a busy machine, and host 1 must be mid-stage when it dies;
    # at 192 MiB two items keep host 1's two processes busy for ~15 s (quiet), several times
    # the ~5 s from submitting to the kill (384 MiB gave ~45 s of work after it)
    image = net.base / "padded-disk.img"
    shutil.copyfile(planted_disk.image, image)
    with image.open("r+b") as padded:
        padded.truncate(PADDED)
    digest = hashlib.sha256()
    with image.open("rb") as read:
        while chunk := read.read(1 << 22):
            digest.update(chunk)
    sha256 = digest.hexdigest()
    items: dict[str, tuple[str, str]] = {}
    for user, zone in ZONES.items():
        case = ok(lccu("case", "create", "--zone", zone, "--title", f"hosts {zone}",
                               user=user)).strip()
        added = ok(lccu("evidence", "add", case, str(image),
                                "--description", "sample disk", "--sha256", sha256, user=user))
        items[user] = (case, added.split()[0])

    def start_host(number: int) -> Any:
        home = net.base / f"host{number}"
        (home / "keys").mkdir(parents=True)
        for key in (net.base / "desk" / "keys").glob("op.*"):  # the processing user's key
            shutil.copy2(key, home / "keys" / key.name)
        env = env_for(net, home, anchors, LCCU_USER="op")
        return net.start(net.host(number), f"worker{number}",
                         [sys.executable, "-m", "lccu.cli.main", "worker", "--processes", "2"],
                         env=env, hostname=f"lccu-h{number}")

    def alive(prefix: str) -> int:
        view = json_of(lccu("status", "--workers", "--json", user="op"))
        return sum(w["alive"] for w in view["workers"] if w["id"].startswith(prefix))

    # host 1 starts alone, so it surely holds a stage when it dies; host 2 joins as it dies
    host1 = start_host(1)
    net.wait_for("host 1's two worker processes registered", lambda: alive("lccu-h1:") == 2)
    runs = {user: json_of(lccu("process", evidence, "--json", user=user))["run"]
            for user, (_case, evidence) in items.items()}

    def host1_holds_a_stage() -> bool:
        view = json_of(lccu("status", "--workers", "--json", user="op"))
        return any(w["running"] for w in view["workers"] if w["id"].startswith("lccu-h1:"))

    net.wait_for("a stage running on host 1", host1_holds_a_stage, timeout=120)
    start_host(2)
    net.kill(host1)  # host 1 loses power mid-stage
    cut_short = {user for user, (_case, evidence) in items.items()
                 if json_of(lccu("status", evidence, "--json", user=user))[0]["state"] != "done"}
    assert cut_short, "host 1 finished every run before it was killed"

    def finished() -> bool:
        return all(json_of(lccu("status", evidence, "--json", user=user))[0]["state"]
                   in ("done", "failed") for user, (_case, evidence) in items.items())

    net.wait_for("both runs finished after host 1 died", finished, timeout=300)
    for user, (case, evidence) in items.items():
        [status] = json_of(lccu("status", evidence, "--json", user=user))
        assert status["run"] == runs[user] and status["state"] == "done", status
        assert {s["state"] for s in status["stages"]} == {"done"}
        events = [e for e in json_of(lccu("custody", "log", case, "--json", user=user))
                  if e["action"] == "processed" and e["details"]["run"] == runs[user]]
        once = Counter((e["details"]["stage"], e["details"]["segment"]) for e in events)
        assert once == Counter((s["stage"], s["segment"]) for s in status["stages"])
        if user in cut_short:  # what host 1 left unfinished, host 2 did
            assert "lccu-h2" in {e["details"]["worker_host"] for e in events}
        verified = lccu("custody", "verify", case, user=user)
        assert verified.returncode == 0, verified.stdout + verified.stderr

    def host1_lost() -> bool:
        view = json_of(lccu("status", "--workers", "--json", user="op"))
        host1 = [w for w in view["workers"] if w["id"].startswith("lccu-h1:")]
        return len(host1) == 2 and not any(w["alive"] for w in host1)

    net.wait_for("host 1's workers shown as lost", host1_lost, timeout=60)


def ok(proc: Any) -> str:
    """stdout of a command that must succeed."""
    assert proc.returncode == 0, f"{proc.args[4:]}: {proc.stderr[-2000:]}"
    return str(proc.stdout)
