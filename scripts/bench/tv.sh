#!/usr/bin/env bash
# TV wall benchmark: a 30-widget dashboard over 24 h of 10 s data in headless Chromium against the release build.
# Prints time per refresh (fetch + draw) and the JS heap growth over 500 refreshes.   scripts/bench/tv.sh [refreshes]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v chromium >/dev/null || { sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo; $sudo apt-get install -y -qq chromium >/dev/null; }
python3 -c "import whisper" 2>/dev/null || python3 -m pip install -q whisper==1.1.10
swift build -c release --product telewall >/dev/null
TELEWALL_BIN=.build/release/telewall exec python3 scripts/bench/tv.py "$@"
