#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL on 127.0.0.1, then stop it.
#
#   .ci/postgres.sh .venv/bin/pytest -m postgres
#
# Installs PostgreSQL from the Debian packages when no server binaries are present,
# creates a cluster in a temporary folder, starts it on a free port, exports
# SEMCOM_TEST_POSTGRES_URL for the command, and stops and removes only that cluster
# (whatever the command's outcome).
set -euo pipefail

bindir=""
for d in /usr/lib/postgresql/*/bin; do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir="$d"; fi
done
if [ -z "$bindir" ]; then
  echo "postgres: installing PostgreSQL from the Debian packages" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  for d in /usr/lib/postgresql/*/bin; do bindir="$d"; done
fi

# initdb refuses to run as root: run the server as the packages' postgres user then
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi

work="$(mktemp -d /tmp/semcom-pg.XXXXXX)"
chmod 755 "$work"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$work"; fi
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

stop() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop EXIT

"${as_pg[@]}" "$bindir/initdb" -D "$work/data" -U semcom --auth=trust -E UTF8 >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/log" -w \
  -o "-h 127.0.0.1 -p $port -k $work" start >/dev/null
"${as_pg[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U semcom semcom_test
echo "postgres: $("$bindir/postgres" --version) on 127.0.0.1:$port" >&2

export SEMCOM_TEST_POSTGRES_URL="postgresql+psycopg://semcom@127.0.0.1:$port/semcom_test"
"$@"
