#!/usr/bin/env bash
# Install the pinned Marp CLI (package-lock.json) into tools/slides/node_modules, only when the lock
# changed since the last install. Used by .ci/run and by the site hook docs/hooks/lecture_slides.py.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.installed-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -x node_modules/.bin/marp ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm not found; install Node.js and npm (Debian: apt-get install nodejs npm) to build the slides" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" >"$stamp"
