#!/usr/bin/env bash
# Starts `appeals serve` on a fresh SQLite database (and PostgreSQL when BROWSER_DATABASE_URL is
# given), creates a clerk, a supervisor and an executor with passwords, and runs the browser
# scenario, the bulk-actions scenario (bulk.mjs) and the region's (region.mjs, with a second
# organization and the regional supervisor) in Debian's Chromium. Screenshots: target/browser-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin="$root/target/debug/appeals"
[ -x "$bin" ] || cargo build -q
work=$(mktemp -d)
port=${BROWSER_PORT:-18981}
export DATABASE_URL="${BROWSER_DATABASE_URL:-sqlite://$work/appeals.db}"
export APPEALS_LISTEN="127.0.0.1:$port" APPEALS_DATA_DIR="$work/data" APPEALS_SCHEDULER__ENABLED=false
export PASSWORD="пароль-браузерного-теста"
shots="$root/target/browser-screenshots"
mkdir -p "$shots"
(cd "$work" && exec "$bin" serve > "$work/serve.log" 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
(cd "$work"
 "$bin" user add --login clerk --role clerk --name "Делопроизводитель Петрова" >/dev/null
 "$bin" user add --login supervisor --role supervisor --name "Руководитель Сидоров" >/dev/null
 "$bin" user add --login executor --role executor --name "Исполнитель Иванов" >/dev/null
 for u in clerk supervisor executor; do echo "$PASSWORD" | "$bin" user set-password --login "$u" >/dev/null; done) 2>/dev/null
cd tests/browser
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
BASE_URL="http://127.0.0.1:$port" SHOTS="$shots" node scenario.mjs
BASE_URL="http://127.0.0.1:$port" SHOTS="$shots" node bulk.mjs
# A second organization of the instance with its clerk, and the region's supervisor.
(cd "$work"
 "$bin" org add --code ukhta --name "Администрация городского округа «Ухта»" --time-zone Europe/Moscow >/dev/null
 "$bin" user add --login town_clerk --role clerk --name "Делопроизводитель Кузнецова" --org ukhta >/dev/null
 "$bin" user add --login regional --role regional_supervisor --name "Контролёр региона Смирнова" >/dev/null
 for u in town_clerk regional; do echo "$PASSWORD" | "$bin" user set-password --login "$u" >/dev/null; done) 2>/dev/null
BASE_URL="http://127.0.0.1:$port" SHOTS="$shots" node region.mjs
# The same database behind a server whose sessions last one minute: a form posted after the
# session ended comes back after signing in.
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
(cd "$work" && APPEALS_WEB__SESSION_MINUTES=1 exec "$bin" serve > "$work/serve-expiry.log" 2>&1) &
pid=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
BASE_URL="http://127.0.0.1:$port" SHOTS="$shots" node expiry.mjs
