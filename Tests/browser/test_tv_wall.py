"""The TV wall end to end: sign up, send metrics through StatsD, build a dashboard in the editor, share it, and
watch it on a TV at 1920x1080 and 3840x2160 in real headless Chromium; the stale marker when the server stops
and the recovery when it is back."""

import json
import os
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import statsd

from conftest import ARTIFACTS
from telewall_service import Service

SHOTS = os.path.join(ARTIFACTS, "screenshots")
NETWORK_NOISE = ("Failed to load resource", "ERR_CONNECTION_REFUSED")


def sign_up_in_page(browser, service):
    browser.navigate(service.url + "/")
    browser.fill("#signup-email", "wall@example.com")
    browser.fill("#signup-password", "a-long-password")
    browser.click("#signup button[type=submit]")
    return browser.wait_for("location.pathname === '/account' && document.getElementById('new-secret-value').textContent")


def send_until_stored(service, token, cookie_browser):
    """Gauges through the Python statsd client until the tree shows them (each flush writes them again)."""
    client = statsd.StatsClient("127.0.0.1", service.statsd_port, prefix=token)
    deadline = time.time() + 20
    while time.time() < deadline:
        client.gauge("queue.depth", 42)
        client.gauge("temp.cpu", 73.5)
        found = cookie_browser.evaluate("""fetch('/metrics/find?query=stats.gauges.*').then(r => r.json())
            .then(nodes => nodes.map(n => n.id).join(','))""")
        if "stats.gauges.queue" in found and "stats.gauges.temp" in found:
            return
        time.sleep(0.3)
    raise AssertionError("gauges never reached the tree")


def add_widget(browser, kind):
    browser.select("#new-widget-type", kind)
    browser.click("#add-widget")
    return browser.evaluate("document.querySelectorAll('#widgets .widget-editor').length") - 1


def click_text(browser, selector, text):
    browser.wait_for(f"[...document.querySelectorAll({json.dumps(selector)})].some(b => b.textContent === {json.dumps(text)})")
    browser.evaluate(f"[...document.querySelectorAll({json.dumps(selector)})].find(b => b.textContent === {json.dumps(text)}).click()")


def build_dashboard(browser, service):
    browser.navigate(service.url + "/dashboards")
    browser.wait_for("document.getElementById('dashboard-list').children.length > 0")
    browser.click("#new-dashboard")
    browser.fill("#dash-title", "Operations")
    browser.fill("#dash-refresh", "1")

    # A big number picked from the metric tree.
    n = add_widget(browser, "number")
    browser.fill(f"#widgets [data-index='{n}'] [name=title]", "Queue depth")
    for part in ("stats/", "gauges/", "queue/", "depth"):
        click_text(browser, "#metrics button", part)
    browser.wait_for(f"document.querySelector(\"#widgets [data-index='{n}'] [name=target]\").value === 'stats.gauges.queue.depth'")

    n = add_widget(browser, "number")
    browser.fill(f"#widgets [data-index='{n}'] [name=title]", "CPU temperature")
    browser.fill(f"#widgets [data-index='{n}'] [name=target]", "stats.gauges.temp.cpu")
    browser.fill(f"#widgets [data-index='{n}'] [name=unit]", "°C")
    browser.fill(f"#widgets [data-index='{n}'] [name=warning]", "50")
    browser.fill(f"#widgets [data-index='{n}'] [name=critical]", "70")

    n = add_widget(browser, "graph")
    browser.fill(f"#widgets [data-index='{n}'] [name=title]", "Gauges")
    browser.fill(f"#widgets [data-index='{n}'] [name=targets]", "stats.gauges.queue.depth\nstats.gauges.temp.cpu")
    browser.select(f"#widgets [data-index='{n}'] [name=width]", "12")
    for kind in ("status", "alerts", "text", "clock"):
        n = add_widget(browser, kind)
    browser.fill(f"#widgets [data-index='{n - 1}'] [name=text]", "Deploy freeze until Monday")
    browser.fill(f"#widgets [data-index='{n - 3}'] [name=component]", "db.primary")

    # Arranging: the clock moves up one place, then back down.
    last = f"#widgets [data-index='{n}']"
    browser.evaluate(f"[...document.querySelectorAll(\"{last} button\")].find(b => b.textContent === '↑').click()")
    assert browser.evaluate(f"document.querySelector(\"#widgets [data-index='{n - 1}'] strong\").textContent") == f"{n}. clock"
    browser.evaluate(f"[...document.querySelectorAll(\"#widgets [data-index='{n - 1}'] button\")].find(b => b.textContent === '↓').click()")
    assert browser.evaluate(f"document.querySelector(\"{last} strong\").textContent") == f"{n + 1}. clock"

    browser.click("#save")
    browser.wait_for("document.getElementById('editor-status').textContent.startsWith('Saved')")
    assert browser.wait_for("document.querySelector('#preview .widget-number .value')?.textContent === '42'")
    assert browser.evaluate("[...document.querySelectorAll('input, select, textarea')].every(i => i.labels && i.labels.length > 0)")
    browser.evaluate("window.scrollTo(0, 0)")
    browser.screenshot(os.path.join(SHOTS, "dashboard-editor.png"))
    browser.evaluate("document.getElementById('preview').scrollIntoView()")
    browser.screenshot(os.path.join(SHOTS, "dashboard-editor-preview.png"))
    # Saved with positions packed first-fit on 12 columns, in order (worked out by hand from the sizes:
    # numbers 3x1, graph 12x2, status 3x1, alerts 3x2, text 3x1, clock 3x1).
    positions = browser.evaluate("""fetch('/api/v1/dashboards').then(r => r.json())
        .then(list => fetch('/api/v1/dashboards/' + list.dashboards[0].id)).then(r => r.json())
        .then(d => d.widgets.map(w => [w.type, w.position.x, w.position.y, w.position.w, w.position.h]))""")
    assert positions == [["number", 0, 0, 3, 1], ["number", 3, 0, 3, 1], ["graph", 0, 1, 12, 2], ["status", 6, 0, 3, 1],
                         ["alerts", 0, 3, 3, 2], ["text", 9, 0, 3, 1], ["clock", 3, 3, 3, 1]], positions
    browser.click("#share")
    return browser.wait_for("document.querySelector('#share-result code')?.textContent")


def check_tv(browser, width, height):
    browser.resize(width, height)
    browser.pump(0.5)
    assert browser.wait_for("[...document.querySelectorAll('.widget-number .value')].map(v => v.textContent).join(' ') === '42 73.5'")
    legend = browser.evaluate("[...document.querySelectorAll('.legend li')].map(li => li.textContent).join(' | ')")
    assert legend == "stats.gauges.queue.depth42 | stats.gauges.temp.cpu73.5", legend
    assert browser.evaluate("document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")
    assert browser.evaluate("""[...document.querySelectorAll('.widget')].every(w => {
        const r = w.getBoundingClientRect(); return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1; })""")
    # Readable across a room: titles at least 2% of the screen's height, big numbers far larger.
    title = browser.evaluate("parseFloat(getComputedStyle(document.querySelector('.widget-title')).fontSize)")
    number = browser.evaluate("parseFloat(getComputedStyle(document.querySelector('.widget-number .value')).fontSize)")
    assert title >= 0.019 * height and number >= 0.06 * height, (title, number)
    assert browser.evaluate("document.querySelectorAll('.widget-number')[1].classList.contains('level-critical')")
    assert browser.evaluate("document.querySelector('.widget-status .state').textContent") == "NO DATA"
    assert browser.evaluate("document.querySelector('.alert-list').textContent") == "none"
    assert browser.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(5, 8, 13)"
    # Numbers for a screen across the room: at most four significant digits, k/M/G above 10,000.
    formatted = browser.evaluate("[42, 73.5, 0.5, 0.000123, 12345, 1234567, -2500000000, NaN].map(Charts.format).join(' ')")
    assert formatted == "42 73.5 0.5 0.000123 12.3k 1.23M -2.5G –", formatted
    browser.screenshot(os.path.join(SHOTS, f"tv-{width}x{height}.png"))


def test_build_share_and_watch_a_dashboard_on_a_tv(browser):
    service = Service(args=["--flush-interval", "1"])
    try:
        token = sign_up_in_page(browser, service)
        send_until_stored(service, token, browser)
        url = build_dashboard(browser, service)
        assert url.startswith(service.url + "/tv/")
        browser.navigate(url)
        check_tv(browser, 1920, 1080)
        check_tv(browser, 3840, 2160)
        check_tv(browser, 1280, 720)
        assert browser.console_errors == [], browser.console_errors

        # The server goes away: the picture stays, marked stale with the time of the last update.
        service.stop()
        browser.wait_for("document.body.classList.contains('stale')", timeout=15)
        assert browser.evaluate("document.getElementById('tv-updated').textContent").startswith("last update ")
        assert browser.evaluate("document.querySelector('.widget-number .value').textContent") == "42"
        browser.screenshot(os.path.join(SHOTS, "tv-stale.png"))

        # Back on the same port and data: it recovers by itself.
        service = Service(args=service.args, data=service.data, port=service.port)
        browser.wait_for("!document.body.classList.contains('stale')", timeout=20)
        assert browser.evaluate("document.getElementById('tv-stale').hidden") is True
        assert browser.evaluate("document.querySelector('.widget-number .value').textContent") == "42"
        errors = [e for e in browser.console_errors if not any(noise in e for noise in NETWORK_NOISE)]
        assert errors == [], errors
    finally:
        service.stop()


def test_a_playlist_rotates_its_dashboards(service, browser):
    tenant = service.sign_up("lobby@example.com")
    ids = []
    for title in ("First board", "Second board"):
        status, created, _ = service.api("POST", "/api/v1/dashboards", {
            "title": title, "widgets": [{"type": "text", "title": "Note", "text": f"This is {title}"}, {"type": "clock"}]},
            cookie=tenant.cookie)
        assert status == 201, created
        ids.append(created["id"])
    status, playlist, _ = service.api("POST", "/api/v1/playlists", {"title": "Lobby", "dwell": 5, "dashboards": ids},
                                      cookie=tenant.cookie)
    assert status == 201, playlist
    status, shared, _ = service.api("POST", f"/api/v1/playlists/{playlist['id']}/share", cookie=tenant.cookie)
    browser.resize(1920, 1080)
    browser.navigate(service.url + shared["url"])
    assert browser.wait_for("document.getElementById('tv-title').textContent === 'First board' && document.querySelector('.widget-text .text')?.textContent") == "This is First board"
    assert browser.evaluate("document.getElementById('tv-playlist').textContent") == "Lobby · 1/2"
    browser.wait_for("document.getElementById('tv-title').textContent === 'Second board'", timeout=12)
    assert browser.evaluate("document.getElementById('tv-playlist').textContent") == "Lobby · 2/2"
    assert browser.evaluate("document.querySelector('.widget-text .text').textContent") == "This is Second board"
    browser.wait_for("document.getElementById('tv-title').textContent === 'First board'", timeout=12)
    assert browser.console_errors == [], browser.console_errors

    # Revoked while on screen: the picture stays, marked stale, and the page says why; a reload shows the
    # page for links that are gone.
    service.api("DELETE", f"/api/v1/playlists/{playlist['id']}/share", cookie=tenant.cookie)
    browser.wait_for("document.body.classList.contains('stale') && !document.getElementById('tv-message').hidden", timeout=15)
    assert browser.evaluate("document.getElementById('tv-message').textContent") == "This TV link is not shared any more."
    assert "This is" in browser.evaluate("document.querySelector('.widget-text .text').textContent")
    browser.navigate(service.url + shared["url"])
    assert browser.evaluate("document.querySelector('h1').textContent") == "This TV link is not shared any more."


def test_a_dashboards_time_zone_sets_its_clock(service, browser):
    """The clock shows the time in the dashboard's `tz`. Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours
    apart, so their days of the month always differ: each TV must show its own zone's day, whatever zone the
    screen is in."""
    tenant = service.sign_up("zones@example.com")
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        status, created, _ = service.api("POST", "/api/v1/dashboards", {"title": zone, "tz": zone, "widgets": [{"type": "clock"}]},
                                         cookie=tenant.cookie)
        assert status == 201 and created["tz"] == zone, created
        status, shared, _ = service.api("POST", f"/api/v1/dashboards/{created['id']}/share", cookie=tenant.cookie)
        browser.navigate(service.url + shared["url"])
        text = browser.wait_for("document.getElementById('tv-title').textContent === " + json.dumps(zone)
                                + " && document.querySelector('.widget-clock .date')?.textContent")
        day = datetime.now(ZoneInfo(zone)).day
        assert re.search(rf"\b{day}\b", text), (zone, day, text)
    assert browser.console_errors == [], browser.console_errors
