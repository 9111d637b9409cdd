#!/usr/bin/env bash
# System packages the tests need beyond pip: Debian's chromium (browser tests, driven by
# Playwright with executable_path=/usr/bin/chromium, since Playwright cannot download its own
# browser here). Installed when missing and we are root; otherwise the browser tests skip with
# a visible reason, except in CI (CI=true) where they fail instead.
set -uo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-system-deps: cannot install ${need[*]} (not root or no apt-get); those tests will skip" >&2
  exit 0
fi
echo "test-system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || { echo "test-system-deps: apt-get install ${need[*]} failed" >&2; [ "${CI:-}" != "true" ] || exit 1; }
exit 0
