#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on loopback; start local ones (installing the Debian packages
# if missing) when they don't. Used by `make run` and `make test`; safe to run again.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379
log() { printf '[services] %s\n' "$*"; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "installation des paquets Debian : $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
redis_up() { command -v redis-cli >/dev/null && [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

if ! pg_up; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-contrib
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [[ -z $version ]]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    as_root pg_createcluster "$version" main >/dev/null
  fi
  conf=/etc/postgresql/$version/main
  # Trust local connections on loopback (development and CI only).
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
  fi
  log "démarrage de PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { log "PostgreSQL ne répond pas sur $PG_HOST:$PG_PORT"; exit 1; }
fi
log "PostgreSQL répond sur $PG_HOST:$PG_PORT"

if ! redis_up; then
  command -v redis-server >/dev/null || apt_install redis-server
  log "démarrage de Redis"
  mkdir -p /tmp/gtsms-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp/gtsms-redis --logfile /tmp/gtsms-redis/redis.log
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || { log "Redis ne répond pas sur 127.0.0.1:$REDIS_PORT"; exit 1; }
fi
log "Redis répond sur 127.0.0.1:$REDIS_PORT"

# The database of the application (the test database is created by pytest).
if ! psql -h "$PG_HOST" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='gtsms'" | grep -q 1; then
  createdb -h "$PG_HOST" -U postgres gtsms
  log "base « gtsms » créée"
fi
