#!/usr/bin/env bash
# Installs what a fresh Debian machine with the Swift toolchain lacks.
#   scripts/install-deps.sh          system libraries to build and run Telewall
#   scripts/install-deps.sh --test   also what the tests drive: curl, openssl, Chromium, pytest, Python whisper, statsd and
#                                    graphite-render, and tzdata, from which `date` and graphite-render read the zones
#                                    the time-zone tests compare with
set -euo pipefail

packages=(libsqlite3-dev libssl-dev pkg-config)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(curl openssl chromium python3 python3-pip tzdata)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
    python3 -c "import pytest" 2>/dev/null || python3 -m pip install -q pytest
    # The reference implementations the tests compare against, and real clients they read with.
    python3 -c "import whisper" 2>/dev/null || python3 -m pip install -q whisper==1.1.10
    python3 -c "import statsd" 2>/dev/null || python3 -m pip install -q statsd
    python3 -c "import prometheus_client" 2>/dev/null || python3 -m pip install -q prometheus-client
    python3 -c "import graphite_render" 2>/dev/null || python3 -m pip install -q graphite-render
fi
