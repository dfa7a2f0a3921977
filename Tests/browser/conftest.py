"""Browser tests: the real server (see ../e2e/telewall_service.py) and headless Chromium."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))

from telewall_service import ROOT, Service  # noqa: E402

ARTIFACTS = os.environ.get("TELEWALL_ARTIFACTS", os.path.join(ROOT, "artifacts"))


@pytest.fixture
def service():
    s = Service()
    yield s
    s.stop()


@pytest.fixture
def browser():
    from cdp import Browser
    b = Browser(1280, 900)
    yield b
    b.close()
