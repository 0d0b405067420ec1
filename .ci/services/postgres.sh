# PostgreSQL for state/postgres: a throw-away cluster on a loopback port,
# data and socket under $CI_TMP, one database; exports
# JEDISOS_TEST_POSTGRES_DSN. Sourced by .ci/run.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  ci_apt postgresql
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
pg_dir="$CI_TMP/postgres"
mkdir -p "$pg_dir/data" "$pg_dir/sock"
chmod 755 "$CI_TMP" "$pg_dir"
pg_as() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  # initdb and the server refuse to run as root.
  chown -R postgres:postgres "$pg_dir"
  pg_as() { runuser -u postgres -- "$@"; }
fi
pg_port=$(ci_free_port)
pg_as "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log"; exit 1; }
pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir/sock -c max_connections=200" start >/dev/null \
  || { cat "$pg_dir/server.log"; exit 1; }
ci_cleanup "runuser -u postgres -- $pg_bin/pg_ctl -D $pg_dir/data stop -m immediate || $pg_bin/pg_ctl -D $pg_dir/data stop -m immediate"
for _ in $(seq 1 60); do
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break
  sleep 0.5
done
"$pg_bin/pg_isready" -h 127.0.0.1 -p "$pg_port"
"$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -c "CREATE DATABASE jedisos_test" >/dev/null
export JEDISOS_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:$pg_port/jedisos_test?sslmode=disable"
echo "postgres $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port"
