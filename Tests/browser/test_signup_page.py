"""The sign-up page in real headless Chromium against the real server."""

import os
import re

from conftest import ARTIFACTS


def labels_cover_inputs(browser):
    return browser.evaluate("""[...document.querySelectorAll('input')].every(i =>
        i.labels && i.labels.length > 0 && i.labels[0].textContent.trim().length > 0)""")


def test_sign_up_shows_the_token_once_with_snippets(service, browser):
    browser.navigate(service.url + "/")
    assert browser.evaluate("document.title").startswith("Telewall")
    assert labels_cover_inputs(browser)
    browser.screenshot(os.path.join(ARTIFACTS, "screenshots", "landing.png"))

    # A short password is caught in the page, with a message people can read.
    browser.fill("#signup-email", "dev@example.com")
    browser.fill("#signup-password", "short")
    browser.click("#signup button[type=submit]")
    assert "8 characters" in browser.wait_for("document.getElementById('signup-error').textContent")

    browser.fill("#signup-password", "a-long-password")
    browser.click("#signup button[type=submit]")
    browser.wait_for("location.pathname === '/account' && document.getElementById('new-secret-value').textContent")
    token = browser.evaluate("document.getElementById('new-secret-value').textContent")
    assert re.fullmatch(r"[a-z0-9]{32}", token)
    assert f'prefix="{token}"' in browser.evaluate("document.getElementById('snippet').textContent")
    browser.click("#snippet-tabs button:nth-child(3)")
    assert f'prefix: "{token}."' in browser.evaluate("document.getElementById('snippet').textContent")
    assert browser.wait_for("document.querySelector('#tokens td') && document.querySelector('#tokens td').textContent") == "default"
    assert browser.evaluate("document.getElementById('who').textContent") == "dev@example.com"
    assert labels_cover_inputs(browser)
    assert browser.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    browser.screenshot(os.path.join(ARTIFACTS, "screenshots", "account-new-token.png"))

    # Shown once: a reload shows only the prefix.
    browser.navigate(service.url + "/account")
    browser.wait_for("!!document.querySelector('#tokens code')")
    assert browser.evaluate("document.getElementById('new-secret').hidden") is True
    assert token not in browser.evaluate("document.body.innerText")
    assert browser.evaluate("document.querySelector('#tokens code').textContent") == token[:6] + "…"

    # A read key issued from the page is shown once too; names go into the DOM as text.
    browser.fill("#new-key-name", "<img src=x onerror=alert(1)>")
    browser.click("#new-key button[type=submit]")
    key = browser.wait_for("!document.getElementById('new-secret').hidden && document.getElementById('new-secret-value').textContent")
    assert re.fullmatch(r"[a-z0-9]{32}", key)
    browser.wait_for("document.querySelector('#keys td') && document.querySelector('#keys td').textContent.startsWith('<img')")
    assert browser.evaluate("document.querySelectorAll('#keys img').length") == 0

    assert browser.console_errors == [], browser.console_errors


def test_log_in_and_out(service, browser):
    browser.navigate(service.url + "/account")
    browser.wait_for("location.pathname === '/login'")
    assert labels_cover_inputs(browser)
    browser.fill("#login-email", "nobody@example.com")
    browser.fill("#login-password", "wrong-password")
    browser.click("#login button[type=submit]")
    assert "wrong email or password" in browser.wait_for("document.getElementById('login-error').textContent")
    # The failed log-in above logged a 401 from fetch; that is expected, not a page error.
    browser.console_errors = [e for e in browser.console_errors if "401" not in e]
    assert browser.console_errors == [], browser.console_errors
