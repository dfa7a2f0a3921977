#!/usr/bin/env bash
# Builds and runs every test: Swift unit and end-to-end tests, then the browser tests in headless Chromium.
# Screenshots the browser tests take land in artifacts/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
swift build --build-tests
swift test --skip-build
TELEWALL_BIN="$PWD/.build/debug/telewall" python3 -m pytest -q -p no:cacheprovider Tests/browser
