"""/account/support: a support PIN with a live countdown, never cached; the
vendor's chat widget signed in as the user, opened from any error page; and
the public /help page."""

import os
import re
import urllib.parse

import jwt

from conftest import csp_directives, sign_in, sign_up_and_verify, unique_email, wait_for_path


def test_a_support_pin_is_shown_large_with_its_countdown_and_never_cached(page, mailbox):
    email = unique_email("support")
    sign_up_and_verify(page, mailbox, email)
    page.get_by_role("heading", name="Address confirmed").wait_for()
    sign_in(page, email)
    page.wait_for_url("**/account")

    response = page.goto("/account/support")
    assert response.headers["cache-control"] == "no-store"
    page.checks.page_ok("support")

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
    # The widgets get fresh tokens with the PIN page too.
    widgets = page.evaluate("() => window.latchkey.helpWidget()")
    assert sorted(w["kind"] for w in widgets) == ["intercom", "zendesk_messaging"]
    assert all(w["token"] for w in widgets)
    page.checks.page_ok("support-pin")


def test_contact_support_on_an_error_page_opens_the_chat_signed_in(page, mailbox, clock):
    email = unique_email("chat")
    sign_up_and_verify(page, mailbox, email)
    page.get_by_role("heading", name="Address confirmed").wait_for()

    # Signed out, lost: the error page's help leads through sign-in to the chat.
    page.goto("/account/nothing-here")
    page.get_by_role("link", name="Get a support PIN and contact support").click()
    page.wait_for_url(re.compile(r"/sign-in\?"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/account/support\?chat=open$"))

    # Both vendors' scripts loaded from their own origin and were handed a
    # token the vendor verifies with the shared secret; the first chat
    # opened once signed in (two would cover each other).
    page.wait_for_function("() => window.fakeVendors?.zendesk?.open && window.fakeVendors?.intercom?.boot")
    zendesk = page.evaluate("() => window.fakeVendors.zendesk")
    assert zendesk["snippetId"] == "ze-snippet"
    assert zendesk["calls"] == [["messenger", "loginUser"], ["messenger", "open"]]
    assert jwt.get_unverified_header(zendesk["jwt"])["kid"] == "app_browser"
    claims = vendor_claims(zendesk["jwt"], "LATCHKEY_ZENDESK_SECRET")
    assert claims["scope"] == "user" and claims["external_id"] and claims["email"] == email

    intercom = page.evaluate("() => window.fakeVendors.intercom")
    assert intercom["calls"] == ["boot"]
    assert intercom["boot"]["app_id"] == "intercomapp"
    claims = vendor_claims(intercom["boot"]["intercom_user_jwt"], "LATCHKEY_INTERCOM_SECRET")
    assert claims["user_id"] == zendesk_external_id(zendesk) and claims["email"] == email

    # A chat outlives the page's token: when Zendesk asks again, it gets a
    # fresh one for the same person, minted later.
    first = vendor_claims(zendesk["jwt"], "LATCHKEY_ZENDESK_SECRET")
    clock.advance(120)
    page.evaluate("() => window.fakeVendors.zendesk.relogin()")
    page.wait_for_function("() => window.fakeVendors.zendesk.jwts.length === 2")
    renewed = vendor_claims(page.evaluate("() => window.fakeVendors.zendesk.jwts[1]"), "LATCHKEY_ZENDESK_SECRET")
    assert renewed["external_id"] == first["external_id"] and renewed["email"] == email
    assert renewed["exp"] >= first["exp"] + 120

    # Only this page lets the vendor in; the sign-in page stays ours alone.
    vendor_origin = "http://" + urllib.parse.urlsplit(os.environ["LATCHKEY_CONTROL_URL"]).netloc
    support_policy = csp_directives(page.request.get("/account/support").headers["content-security-policy"])
    assert vendor_origin in support_policy["script-src"]
    assert "'unsafe-inline'" not in support_policy["script-src"]
    page.checks.page_ok("support-chat-open")

    # Looking at the page without asking opens nothing, but offers the button.
    page.goto("/account/support")
    page.wait_for_function("() => window.fakeVendors?.zendesk?.jwt")
    assert not page.evaluate("() => window.fakeVendors.zendesk.open || false")
    page.get_by_role("button", name="Open the chat").click()
    page.wait_for_function("() => window.fakeVendors.zendesk.open")

    page.get_by_role("button", name="Sign out").first.click()
    wait_for_path(page, "/sign-in")
    sign_in_policy = page.request.get("/sign-in").headers["content-security-policy"]
    assert vendor_origin not in sign_in_policy and "unsafe-inline" not in sign_in_policy


def vendor_claims(token, secret_variable):
    """Checked as the vendor checks it: HS256 with the shared secret. The
    expiry is the application's test clock's, which the scenarios move."""
    claims = jwt.decode(token, os.environ[secret_variable], algorithms=["HS256"], options={"verify_exp": False})
    assert isinstance(claims["exp"], int)
    return claims


def zendesk_external_id(zendesk):
    return jwt.decode(zendesk["jwt"], options={"verify_signature": False})["external_id"]


def test_the_help_page_is_public_and_names_every_way_out(page):
    response = page.goto("/help")
    assert response.status == 200
    for link in ("Get a support PIN", "Reset your password", "Sign in"):
        assert page.get_by_role("link", name=link, exact=True).first.is_visible(), link
    assert "recovery code" in page.locator("main").inner_text()
    page.checks.page_ok("help")
    page.get_by_role("link", name="Reset your password", exact=True).click()
    page.wait_for_url(re.compile(r"/reset-password$"))
