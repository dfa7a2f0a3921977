#!/usr/bin/env bash
# Runs Telewall on its embedded defaults (./data, HTTP on 127.0.0.1:8080), installing system libraries first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product telewall
exec .build/release/telewall serve "$@"
