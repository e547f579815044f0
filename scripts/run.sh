#!/usr/bin/env bash
# `make run`: migrate, load the demo, start web + Celery worker + beat, print the URL and the demo
# accounts. Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-gtsms.settings.dev}
mkdir -p var/log

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Arrêt de gtsms…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

$PY manage.py migrate --noinput
$PY manage.py load_demo | tee var/log/demo.log | tail -n 3
accounts_json=$(tail -n 1 var/log/demo.log)

.venv/bin/celery -A gtsms worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A gtsms beat --loglevel=INFO --schedule=var/celerybeat-schedule >var/log/beat.log 2>&1 &
pids+=($!)
$PY manage.py runserver --noreload "$HOST:$PORT" >var/log/web.log 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do
  curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

echo
echo "gtsms est démarré : http://$HOST:$PORT"
echo "Journaux : var/log/web.log, var/log/worker.log, var/log/beat.log — Ctrl-C pour tout arrêter."
echo
echo "Comptes de démonstration (mot de passe commun indiqué ci-dessous) :"
printf '%s\n' "$accounts_json" | $PY -c '
import json, sys
accounts = json.loads(sys.stdin.read())["accounts"]
for a in accounts:
    print(f"  {a["email"]:<42} {a["password"]:<22} {a["role"]:<34} {a["scope"]}")
'
echo
wait -n "${pids[@]}" || true
echo "Un des processus s'est arrêté ; voir var/log/."
