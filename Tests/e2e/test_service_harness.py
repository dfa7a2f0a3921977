"""The harness itself: a port taken between being found free and telewall binding it costs a start on other
ports, not the test; a start that fails for any other reason says why, from telewall's log."""

import socket

import pytest

import telewall_service
from telewall_service import Service


def test_a_port_taken_before_telewall_binds_it_costs_a_second_start(monkeypatch):
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    taken_port = taken.getsockname()[1]
    choices = []
    real_free_port = telewall_service.free_port

    def statsd_port_taken_once(kind=socket.SOCK_STREAM):
        choices.append(kind)
        return taken_port if len(choices) == 2 else real_free_port(kind)

    monkeypatch.setattr(telewall_service, "free_port", statsd_port_taken_once)
    service = Service()
    try:
        assert service.statsd_port != taken_port
        assert len(choices) == 6  # three ports, twice
        assert service.health()["status"] == "ok"
        with open(service.log.name) as log:
            assert "Address already in use" in log.read()
    finally:
        service.stop()
        taken.close()


def test_a_start_that_fails_says_why():
    with pytest.raises(RuntimeError, match="Unknown option '--no-such-flag'"):
        Service(args=["--no-such-flag"])
