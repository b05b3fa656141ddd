#!/usr/bin/env bash
# Runs CMD... under a private D-Bus session bus with a freshly created, unlocked gnome-keyring
# "login" collection (the Secret Service default alias), so credential tests hit a real keychain
# without touching the user's own keyring or needing a desktop session.
#
#   tests/setup/with-secret-service.sh dotnet test tests/Carapace.Host.Tests --filter ...
#
# The keyring lives in a temporary XDG_DATA_HOME that is removed afterwards. CMD's exit code is
# returned. Requires tests/setup/20-secret-service.sh to have run.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-secret-service.sh: '$tool' is missing; run tests/setup/20-secret-service.sh" >&2
    exit 1
  fi
done

# Re-enter inside a private session bus; dbus-run-session tears the bus down when we exit.
if [ -z "${CARAPACE_PRIVATE_SESSION_BUS:-}" ]; then
  export CARAPACE_PRIVATE_SESSION_BUS=1
  exec dbus-run-session -- bash "$0" "$@"
fi

keyring_home="$(mktemp -d "${TMPDIR:-/tmp}/carapace-keyring.XXXXXX")"
chmod 700 "$keyring_home"
mkdir -m 700 -p "$keyring_home/data" "$keyring_home/runtime"
daemon_pid=""

cleanup() {
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$keyring_home"
}
trap cleanup EXIT

# A throwaway password: the keyring is private to this run and deleted afterwards.
password="carapace-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

# --unlock reads the login password from stdin and creates the "login" collection (the default
# alias) when it does not exist; --foreground keeps the pid ours so cleanup can stop it.
printf '%s' "$password" | XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/runtime" \
  gnome-keyring-daemon --foreground --unlock --components=secrets >"$keyring_home/daemon.out" 2>&1 &
daemon_pid=$!

# Wait (with a deadline) until the daemon owns org.freedesktop.secrets on our bus.
deadline=$((SECONDS + 10))
until dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
  if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
    echo "with-secret-service.sh: gnome-keyring did not come up:" >&2
    cat "$keyring_home/daemon.out" >&2 || true
    exit 1
  fi
  sleep 0.1
done

# Initialise the secrets component of the running daemon (the documented headless sequence).
XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/runtime" \
  gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1 || true

set +e
"$@"
status=$?
set -e
exit "$status"
