# Sourced by scripts/test and bench/run. Provides PostgreSQL in CSMS_TEST_POSTGRES_URL:
# the given URL; else a server on 127.0.0.1:5432 accepting user postgres; else a throwaway
# cluster on a free loopback port, removed on exit. Fails with the reason if none can be had.

log() { printf '==> %s\n' "$*"; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
apt_updated=
need_pkg() { # need_pkg COMMAND-OR-PATH PACKAGE
  { command -v "$1" || [ -e "$1" ]; } >/dev/null 2>&1 && return 0
  log "installing $2 (for $1)"
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq || die "apt-get update failed; install $2 by hand"
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null \
    || die "cannot install $2; install it by hand (apt-get install $2)"
}

pg_dir=
pg_bin=
stop_throwaway_postgres() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

ensure_postgres() {
  need_pkg psql postgresql-client
  if [ -n "${CSMS_TEST_POSTGRES_URL:-}" ]; then
    log "PostgreSQL: using CSMS_TEST_POSTGRES_URL"
  elif psql "postgres://postgres@127.0.0.1:5432/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
    export CSMS_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
    log "PostgreSQL: using the server on 127.0.0.1:5432"
  else
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
    if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
      need_pkg /usr/lib/postgresql/15/bin/initdb postgresql
      pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
      [ -n "$pg_bin" ] || die "PostgreSQL server binaries not found after installing postgresql"
    fi
    id postgres >/dev/null 2>&1 \
      || die "no 'postgres' user to run a throwaway cluster (initdb refuses root); install the postgresql package or set CSMS_TEST_POSTGRES_URL"
    pg_dir=$(mktemp -d /tmp/csms-pg.XXXXXX)
    chown postgres "$pg_dir"
    trap stop_throwaway_postgres EXIT
    local port
    port=$(free_port)
    log "PostgreSQL: starting a throwaway cluster ($pg_bin) on 127.0.0.1:$port"
    runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-sync \
      >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; die "initdb failed (log above)"; }
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
      -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300 ${CSMS_PG_EXTRA_OPTS:-}" start >/dev/null \
      || { cat "$pg_dir/server.log" >&2; die "the throwaway PostgreSQL did not start (log above)"; }
    export CSMS_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  fi
  psql "$CSMS_TEST_POSTGRES_URL" -Atqc 'select 1' >/dev/null \
    || die "PostgreSQL at CSMS_TEST_POSTGRES_URL does not answer; check the URL, or unset it to use a throwaway cluster"
  log "PostgreSQL: $(psql "$CSMS_TEST_POSTGRES_URL" -Atqc 'show server_version')"
}
