"""/account/support: a support PIN with a live countdown, never cached; and
the public /help page."""

import re

from conftest import sign_in, sign_up_and_verify, unique_email


def test_a_support_pin_is_shown_large_with_its_countdown_and_never_cached(page, mailbox):
    email = unique_email("support")
    sign_up_and_verify(page, mailbox, email)
    page.get_by_role("heading", name="Address confirmed").wait_for()
    sign_in(page, email)
    page.wait_for_url("**/account")

    response = page.goto("/account/support")
    assert response.headers["cache-control"] == "no-store"
    page.checks.page_ok("support")
    # No widget is configured here: the page says how to reach support instead.
    assert page.locator("#help-widget").count() == 0

    with page.expect_response(lambda r: r.url.endswith("/account/support") and r.request.method == "POST") as posted:
        page.get_by_role("button", name="Get a support PIN").click()
    assert posted.value.headers["cache-control"] == "no-store"
    pin = page.locator("#support-pin")
    pin.wait_for()
    assert re.fullmatch(r"\d{6}", pin.inner_text().strip())
    countdown = page.locator("[data-countdown]")
    # The script counts down to the server's expiry by the browser's clock.
    # The app's test clock stands still while real time runs, so late in a
    # long run the PIN may already read as expired: either is the script at work.
    page.wait_for_function(
        """() => {
            const text = document.querySelector('[data-countdown]').textContent.trim();
            return /^\\d+:\\d\\d$/.test(text) || text.startsWith('expired');
        }"""
    )
    assert countdown.get_attribute("role") == "timer"
    # Without the script, the time it ends is there in words.
    assert "The PIN works until" in page.locator("main").inner_text()
    assert page.evaluate("() => window.latchkey.helpWidget()") == []
    page.checks.page_ok("support-pin")


def test_the_help_page_is_public_and_names_every_way_out(page):
    response = page.goto("/help")
    assert response.status == 200
    for link in ("Get a support PIN", "Reset your password", "Sign in"):
        assert page.get_by_role("link", name=link, exact=True).first.is_visible(), link
    assert "recovery code" in page.locator("main").inner_text()
    page.checks.page_ok("help")
    page.get_by_role("link", name="Reset your password", exact=True).click()
    page.wait_for_url(re.compile(r"/reset-password$"))
