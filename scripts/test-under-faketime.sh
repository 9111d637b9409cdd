#!/usr/bin/env bash
# The unit suite again at three awkward moments, with libfaketime (Debian's faketime, which
# scripts/test-system-deps.sh installs) and the room's time zone: New Year's Day, New Year's
# Eve late in the evening (already the next year in UTC+1... and not yet in UTC), and the
# night the clocks go forward in Paris. The clock ticks on from each moment, so timeouts
# still work. Browser tests are left out: Chromium's own clock is not what is tested here.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v faketime >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then echo "test-under-faketime: faketime is missing" >&2; exit 1; fi
  echo "test-under-faketime: faketime is missing; skipped (run scripts/test-system-deps.sh as root)" >&2
  exit 0
fi
status=0
for moment in "2027-01-01 09:00:00" "2027-12-31 22:45:00" "2027-03-28 01:30:00"; do
  echo "== unit suite at $moment (Europe/Paris)"
  TZ=Europe/Paris faketime "$moment" .venv/bin/python -m pytest -q tests --ignore=tests/browser \
    || status=1
done
exit $status
