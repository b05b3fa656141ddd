#!/usr/bin/env bash
# Sandbox tests and benchmark: clang (+lld) so Carapace.Sandbox's build publishes the launcher with
# NativeAOT, perl for the escape tests, bubblewrap and hyperfine for the spawn benchmark.
# Idempotent and quiet when everything is present.
set -euo pipefail
need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v ld.lld >/dev/null 2>&1 || need+=(lld)
command -v perl >/dev/null 2>&1 || need+=(perl)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "10-sandbox.sh: missing ${need[*]} and not root; install them to run the sandbox tests" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
