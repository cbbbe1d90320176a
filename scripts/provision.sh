#!/usr/bin/env bash
# What the tests need beyond the Python and npm packages: Debian's Chromium for the browser tests and a
# PostgreSQL answering on 127.0.0.1:5432. Both `make test` and `.ci/run` call this; it changes nothing
# on a machine that already has both, and says what to run when it cannot do it itself.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PG_HOST=127.0.0.1
PG_PORT=5432

say() { echo "== provision: $*"; }
fail() { echo "provision: $*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq || return 1; apt_updated=1; fi
  as_root apt-get install -y -qq "$@" >/dev/null
}

# Debian's Chromium drives the browser tests (Playwright uses it through executable_path).
if [ ! -x "$CHROMIUM" ]; then
  say "installing chromium"
  apt_install chromium fonts-noto-core \
    || fail "Chromium is missing and could not be installed. Run: sudo apt-get update && sudo apt-get install -y chromium fonts-noto-core"
fi

# PostgreSQL: skip when TEST_POSTGRES_URL points elsewhere; else start the local cluster (install one if none).
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  say "using TEST_POSTGRES_URL"
  exit 0
fi
if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; then
  if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    say "installing postgresql"
    apt_install postgresql \
      || fail "PostgreSQL is missing and could not be installed. Run: sudo apt-get install -y postgresql, or set TEST_POSTGRES_URL"
    version=$(ls /etc/postgresql | head -1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    # The tests connect as postgres over TCP without a password (a throwaway local cluster).
    as_root sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' "$hba"
  fi
  version=$(ls /etc/postgresql | head -1)
  say "starting postgresql $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || as_root pg_ctlcluster "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do pg_isready -h "$PG_HOST" -p "$PG_PORT" -q && break; sleep 1; done
fi
pg_isready -h "$PG_HOST" -p "$PG_PORT" -q \
  || fail "PostgreSQL does not answer on $PG_HOST:$PG_PORT. Start it with: sudo pg_ctlcluster \$(ls /etc/postgresql) main start, or set TEST_POSTGRES_URL"
say "chromium and postgresql ready"
