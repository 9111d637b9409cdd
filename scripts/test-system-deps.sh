#!/usr/bin/env bash
# System packages the tests need beyond pip:
# - Debian's chromium (browser tests, driven by Playwright with executable_path=/usr/bin/chromium,
#   since Playwright cannot download its own browser here), plus libatomic1, which the Node
#   driver inside the playwright wheel links to (chromium does not pull it in; gcc does, so slim
#   images lack it), and one font (fonts-dejavu-core) so that screenshots show text (chromium
#   only recommends fonts and recommends are skipped);
# - Debian's faketime (libfaketime): `make test` re-runs the unit suite at three awkward
#   moments (New Year's Day, New Year's Eve late in the evening, the night the clocks change);
# - Debian's nginx: tests/browser/test_shards.py runs deploy/nginx/fabrique.conf in front of two
#   workshop servers (started by the test on loopback; the package's own service is not used);
# - Debian's postgresql server (tests/test_store.py starts a throwaway cluster with the
#   /usr/lib/postgresql/*/bin binaries, as the `postgres` user when run as root).
# Installed when missing and we are root (one apt-get update for all); otherwise those tests skip
# with a visible reason, except in CI (CI=true) where they fail instead. Quick when all is there.
set -uo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libatomic\.so\.1 ' || need+=(libatomic1)
compgen -G '/usr/share/fonts/*/*/*.[ot]tf' >/dev/null || need+=(fonts-dejavu-core)
command -v faketime >/dev/null 2>&1 || need+=(faketime)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
have_pg=false
for bin in /usr/lib/postgresql/*/bin; do
  if [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && [ -x "$bin/postgres" ]; then have_pg=true; fi
done
if ! $have_pg || ! id -u postgres >/dev/null 2>&1; then need+=(postgresql); fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-system-deps: cannot install ${need[*]} (not root or no apt-get); those tests will skip" >&2
  exit 0
fi
echo "test-system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if [[ " ${need[*]} " == *" postgresql "* ]]; then
  # The tests start their own cluster: do not let the package create and start "main".
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/fabrique-tests.conf
fi
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || { echo "test-system-deps: apt-get install ${need[*]} failed" >&2; [ "${CI:-}" != "true" ] || exit 1; }
exit 0
