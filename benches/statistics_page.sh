#!/bin/sh
# The statistics page at 1,000,000 appeals (issue 13's 50 ms target), measured the way the web
# pages' section of benches/README.md measured every page: benches/dataset.sql with n = 1,000,000
# and 2,000 executors in a scratch PostgreSQL database, the release binary serving it with the
# scheduler off, a supervisor signed in through the form, one warm-up, then 10 requests timed
# by curl (time to the first byte). The data is loaded by SQL after `appeals migrate`, so the
# rollup is built with `appeals stats rebuild` (a database with appeals but no rollup would
# have `serve` build it in the background).
#
#   cargo build --release && sh benches/statistics_page.sh [DB_NAME] [PORT]
#
# KEEP=1 keeps the database (then a second run with SKIP_GEN=1 reuses it).
set -eu
DB=${1:-s3stats_web}
PORT=${2:-18431}
PG=postgres://postgres@127.0.0.1:5432
BIN=${BIN:-target/release/appeals}
export DATABASE_URL=$PG/$DB APPEALS_LISTEN=127.0.0.1:$PORT APPEALS_SCHEDULER__ENABLED=false
WORK=$(mktemp -d)
if [ -z "${SKIP_GEN:-}" ]; then
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$BIN" migrate >/dev/null
  ORG=$(psql -qtA "$DATABASE_URL" -c "SELECT id FROM organizations LIMIT 1")
  psql -q "$DATABASE_URL" -c "INSERT INTO users (id, organization_id, login, full_name, role, created_at)
    SELECT md5('u' || i)::uuid::text, '$ORG', 'bench_exec_' || i, 'Исполнитель ' || i, 'executor', now() FROM generate_series(1, 2000) AS i"
  t0=$(date +%s)
  sed -e "s/{org}/$ORG/g" -e "s/{n}/1000000/g" -e "s/{start}/2024-11-01 06:00:00/g" -e "s/{step}/63/g" benches/dataset.sql | psql -q "$DATABASE_URL" >/dev/null
  echo "generated 1,000,000 appeals in $(( $(date +%s) - t0 )) s"
  "$BIN" user add --login sup --role supervisor --name "Контролёр" >/dev/null
  echo 'пароль-для-замера' | "$BIN" user set-password --login sup >/dev/null
  # Loaded around the service after its first start (which found no appeals and marked the
  # rollup built): build it from the appeals.
  "$BIN" stats rebuild
fi
"$BIN" serve >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1
URL=http://127.0.0.1:$PORT
curl -s -c "$WORK/c" -o "$WORK/login.html" "$URL/"
CSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$WORK/login.html" | sed 's/.*value="//; s/"//')
curl -s -b "$WORK/c" -c "$WORK/c" -o /dev/null --data-urlencode "login=sup" --data-urlencode "password=пароль-для-замера" --data-urlencode "csrf=$CSRF" "$URL/login"
SCANS="SELECT string_agg(relname || '=' || seq_scan, ' ' ORDER BY relname) FROM pg_stat_user_tables WHERE relname IN ('appeals', 'assignments', 'stats_rollup', 'stats_rollup_month', 'stats_rollup_year', 'stats_deltas')"
for page in "/statistics" "/statistics?from=2025-01-01&to=2025-12-31"; do
  curl -s -o "$WORK/page.html" -b "$WORK/c" "$URL$page"
  sleep 1
  before=$(psql -qtA "$DATABASE_URL" -c "$SCANS")
  grep -q 'Итоги' "$WORK/page.html" || { echo "$page: no figures"; exit 1; }
  times=$(for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -o /dev/null -b "$WORK/c" -w '%{time_starttransfer}\n' "$URL$page"; done | sort -n)
  p50=$(echo "$times" | sed -n 5p); max=$(echo "$times" | tail -1)
  echo "$page  p50 $(echo "$p50 * 1000" | bc) ms  max $(echo "$max * 1000" | bc) ms  (load $(cut -d' ' -f1-3 /proc/loadavg))"
  sleep 1
  echo "  seq_scan before: $before"
  echo "  seq_scan after:  $(psql -qtA "$DATABASE_URL" -c "$SCANS")"
done
if [ -z "${KEEP:-}" ]; then
  kill $SERVER; wait $SERVER 2>/dev/null || true
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
fi
