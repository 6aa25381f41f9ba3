#!/usr/bin/env bash
# ctest driver of the dashboard test: skips (exit 77, with the reason) when
# Chromium or node is missing, installs playwright-core with `npm ci` when
# node_modules is absent, then runs dashboard_test.mjs.
# Usage: run_dashboard_test.sh KFORGE_BINARY SOURCE_DIR OUT_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${KFORGE_TEST_PRESET:-}" = tsan ]; then
  # The page's checks run in Chromium; the daemon's HTTP threads are under TSan in the API tests.
  echo "SKIP: under ThreadSanitizer (tools/test tsan) the browser test adds no thread the API tests do not run (50 s)"
  exit 77
fi
chromium="${KFORGE_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$chromium" ]; then
  echo "SKIP: no Chromium found (Debian package 'chromium'; tools/install-deps installs it)"
  exit 77
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed (Debian packages 'nodejs' and 'npm')"
  exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  if ! (cd "$here" && npm ci --no-audit --no-fund >/dev/null 2>&1); then
    echo "SKIP: playwright-core is not installed and 'npm ci' failed in $here (no access to the npm registry?)"
    exit 77
  fi
fi
export KFORGE_CHROMIUM="$chromium"
exec node "$here/dashboard_test.mjs" "$@"
