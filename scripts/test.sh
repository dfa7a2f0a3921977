#!/usr/bin/env bash
# Builds and runs every test: the Swift tests (debug build), then the end-to-end tests in Python against the
# release binary (real StatsD clients, Python whisper, load at full speed) and the browser tests in headless
# Chromium. Screenshots the browser tests take land in artifacts/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
swift build --build-tests
swift test --skip-build
swift build -c release --product telewall
TELEWALL_BIN="$PWD/.build/release/telewall" python3 -m pytest -q -p no:cacheprovider Tests/e2e Tests/browser
