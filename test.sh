#!/usr/bin/env bash
# Runs every Carapace test. On a fresh Debian machine with the .NET 10 SDK it first installs what the
# tests need (tests/setup/*.sh; apt-get, run as root), then builds and tests the whole solution.
set -euo pipefail
cd "$(dirname "$0")"

for setup in tests/setup/[0-9]*.sh; do
  [ -e "$setup" ] || continue
  echo "== setup: $setup"
  bash "$setup"
done

echo "== build"
dotnet build Carapace.sln -c Debug --nologo -v quiet -clp:ErrorsOnly

run_tests() {
  dotnet test Carapace.sln -c Debug --no-build --nologo --logger "console;verbosity=normal" "$@"
}

echo "== test"
log=$(mktemp)
status=0
# Keychain tests run against a real gnome-keyring on a private session bus, and fail (not skip)
# if it is missing: a suite that quietly skipped them would pass without testing the default backend.
if [ ! -x tests/setup/with-secret-service.sh ]; then
  echo "test.sh: tests/setup/with-secret-service.sh is missing or not executable" >&2
  exit 1
fi
export CARAPACE_REQUIRE_SECRET_SERVICE=1
tests/setup/with-secret-service.sh bash -c "$(declare -f run_tests); run_tests" 2>&1 | tee "$log" || status=$?

# One summary line for the whole suite, summed over the per-assembly "Total tests" blocks.
awk '/^Total tests: /       { n++ }
     /^ +Passed: [0-9]+$/   { p += $2 }
     /^ +Failed: [0-9]+$/   { f += $2 }
     /^ +Skipped: [0-9]+$/  { s += $2 }
     END { printf "== summary: %d test assemblies: %d passed, %d failed, %d skipped\n", n, p, f, s }' "$log"
rm -f "$log"
exit "$status"
