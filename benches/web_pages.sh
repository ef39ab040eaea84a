#!/bin/sh
# Every web page at 1,000,000 appeals (target: under 50 ms of server time each),
# measured as benches/README.md's web sections say: benches/dataset.sql with n = 1,000,000 and
# 2,000 executors in a scratch PostgreSQL database, the release binary serving it with the
# scheduler off, each user signed in through the form, one warm-up, then RUNS (10) requests
# per page timed by curl (time to the first byte, a new connection each: the session lookup
# and the connection are included). The data is loaded by SQL after `appeals migrate`, so the
# rollup is built with `appeals stats rebuild`.
#
#   cargo build --release && sh benches/web_pages.sh [DB_NAME] [PORT]
#
# KEEP=1 keeps the database (then a second run with SKIP_GEN=1 reuses it). Prints each page's
# p50 and max, and the sequential scans of every table over the whole pass.
set -eu
DB=${1:-s3stats_web}
PORT=${2:-18431}
RUNS=${RUNS:-10}
PG=postgres://postgres@127.0.0.1:5432
BIN=${BIN:-target/release/appeals}
PASS='пароль-для-замера'
export DATABASE_URL=$PG/$DB APPEALS_LISTEN=127.0.0.1:$PORT APPEALS_SCHEDULER__ENABLED=false
WORK=$(mktemp -d)
if [ -z "${SKIP_GEN:-}" ]; then
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$BIN" migrate >/dev/null
  ORG=$(psql -qtA "$DATABASE_URL" -c "SELECT id FROM organizations LIMIT 1")
  psql -q "$DATABASE_URL" -c "INSERT INTO users (id, organization_id, login, full_name, role, created_at)
    SELECT md5('u' || i)::uuid::text, '$ORG', 'bench_exec_' || i, 'Исполнитель ' || i, 'executor', now() FROM generate_series(1, 2000) AS i" \
    -c "INSERT INTO logins (login, organization_id, user_id) SELECT login, organization_id, id FROM users WHERE login LIKE 'bench\_exec\_%'"
  t0=$(date +%s)
  sed -e "s/{org}/$ORG/g" -e "s/{n}/1000000/g" -e "s/{start}/2024-11-01 06:00:00/g" -e "s/{step}/63/g" benches/dataset.sql | psql -q "$DATABASE_URL" >/dev/null
  echo "generated 1,000,000 appeals in $(( $(date +%s) - t0 )) s"
  "$BIN" user add --login sup --role supervisor --name "Контролёр" >/dev/null
  "$BIN" user add --login clerk --role clerk --name "Делопроизводитель" >/dev/null
  for u in sup clerk bench_exec_1; do echo "$PASS" | "$BIN" user set-password --login $u >/dev/null; done
  # Loaded around the service after its first start (which found no appeals and marked the
  # rollup built): build it from the appeals.
  "$BIN" stats rebuild
fi
"$BIN" serve >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1.5
URL=http://127.0.0.1:$PORT
# Signs LOGIN in through the form into the cookie jar $WORK/LOGIN.
sign_in() {
  curl -s -c "$WORK/$1" -o "$WORK/login.html" "$URL/"
  CSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$WORK/login.html" | sed 's/.*value="//; s/"//')
  curl -s -b "$WORK/$1" -c "$WORK/$1" -o /dev/null --data-urlencode "login=$1" --data-urlencode "password=$PASS" --data-urlencode "csrf=$CSRF" "$URL/login"
}
for u in sup clerk bench_exec_1; do sign_in $u; done
# An in-work card of bench_exec_1 (the executor may open it; so may the supervisor).
CARD=$(psql -qtA "$DATABASE_URL" -c "SELECT a.id FROM appeals a JOIN assignments s ON s.appeal_id = a.id JOIN users u ON u.id = s.user_id WHERE u.login = 'bench_exec_1' AND a.status = 'in_work' LIMIT 1")
SCANS="SELECT string_agg(relname || '=' || seq_scan, ' ' ORDER BY relname) FROM pg_stat_user_tables WHERE seq_scan > 0"
before=$(psql -qtA "$DATABASE_URL" -c "$SCANS")
# Times one page as one user: "AS PAGE MUST_CONTAIN".
measure() {
  curl -s -o "$WORK/page.html" -b "$WORK/$1" "$URL$2"
  grep -q "$3" "$WORK/page.html" || { echo "$2 as $1: the page lacks «$3»"; exit 1; }
  times=$(i=0; while [ $i -lt "$RUNS" ]; do curl -s -o /dev/null -b "$WORK/$1" -w '%{time_starttransfer}\n' "$URL$2"; i=$((i + 1)); done | sort -n)
  p50=$(echo "$times" | sed -n "$(( (RUNS + 1) / 2 ))p"); max=$(echo "$times" | tail -1)
  printf '%-48s %-13s p50 %6.1f ms  max %6.1f ms\n' "$2" "$1" "$(echo "$p50 * 1000" | bc)" "$(echo "$max * 1000" | bc)"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure sup "/" "Просрочены"
measure bench_exec_1 "/" "Просрочены"
measure sup "/appeals" "Поиск"
measure sup "/appeals?q=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2" "Поиск"
measure sup "/appeals?q=%D0%B3%D0%B5%D0%BD-500000" "Поиск"
measure sup "/appeals?q=%E2%84%96+12345" "Поиск"
measure sup "/appeals?q=%D1%81%D0%B8%D0%BD%D1%82%D0%B5%D1%82%D0%B8%D1%87%D0%B5%D1%81%D0%BA%D0%BE%D0%B5" "Поиск"
measure sup "/appeals?status=in_work&channel=email" "Поиск"
measure sup "/appeals?overdue=true" "Поиск"
measure sup "/appeals/$CARD" "Срок"
measure bench_exec_1 "/appeals/$CARD" "Срок"
measure sup "/appeals/$CARD/print" "арточка"
measure clerk "/appeals/new" "Зарегистрировать"
measure bench_exec_1 "/me" "Мои поручения"
measure sup "/statistics" "Итоги"
measure sup "/statistics?from=2025-01-01&to=2025-12-31" "Итоги"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
sleep 1
echo "seq_scan before: $before"
echo "seq_scan after:  $(psql -qtA "$DATABASE_URL" -c "$SCANS")"
if [ -z "${KEEP:-}" ]; then
  kill $SERVER; wait $SERVER 2>/dev/null || true
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
fi
