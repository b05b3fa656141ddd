#!/usr/bin/env bash
# Installs a real Secret Service (gnome-keyring) and the D-Bus session tools the credential tests
# run against (see tests/setup/with-secret-service.sh). Idempotent and quiet when already present.
set -euo pipefail

missing=()
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
command -v dbus-run-session >/dev/null 2>&1 || missing+=(dbus)
command -v dbus-launch >/dev/null 2>&1 || missing+=(dbus-x11)
command -v secret-tool >/dev/null 2>&1 || missing+=(libsecret-tools)

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "20-secret-service.sh: need root to install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
