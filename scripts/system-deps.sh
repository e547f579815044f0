#!/usr/bin/env bash
# System libraries the application needs (Debian packages): WeasyPrint's Pango and HarfBuzz,
# fonts, and Chromium for the browser tests. Installs only what is missing.
set -euo pipefail
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
need=()
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || need+=(libharfbuzz-subset0)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
dpkg -s poppler-utils >/dev/null 2>&1 || need+=(poppler-utils)
if [[ ${WITH_BROWSER:-0} == 1 ]]; then
  [[ -x /usr/bin/chromium ]] || need+=(chromium)
fi
if ((${#need[@]})); then
  echo "[system] installation des paquets Debian : ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
fi
