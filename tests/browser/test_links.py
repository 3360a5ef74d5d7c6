"""The links we mail: confirming an address, resetting a password, removing
a device. Each GET only shows what the button will do; the POST acts."""

import re
import uuid

from conftest import Mailbox, PASSWORD, api_session, sign_in, sign_up_and_verify, totp, unique_email, verified_holder

NEW_PASSWORD = "a different horse battery staple"




def email_verified(api, token):
    status, me = api.call("GET", "/v1/me", None, token)
    assert status == 200, me
    return me["user"]["email_verified"]


def test_the_verification_link_confirms_only_when_the_button_is_pressed(page, mailbox, api):
    email = unique_email("verify")
    page.goto("/sign-up")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_text("Check your email").first.wait_for()
    link = Mailbox.link(mailbox.wait_for(email, "confirm"), "/verify-email")
    token = api_session(api, email)

    response = page.goto(link)
    assert response.status == 200
    confirm = page.get_by_role("button", name=re.compile("Confirm", re.I))
    confirm.wait_for()
    # The page does not say whose address the link is for.
    assert email not in page.locator("main").inner_text()
    page.checks.page_ok("verify-email")
    # Opening the link (as a mail scanner would) changed nothing.
    assert email_verified(api, token) is False

    confirm.click()
    page.get_by_role("heading", name="Address confirmed").wait_for()
    page.checks.page_ok("address-confirmed")
    assert email_verified(api, token) is True
    assert page.get_by_role("link", name="Sign in").first.is_visible()

    # The link works once: the second time, the refusal in words and what to do.
    page.goto(link)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "ask for a new one" in alert.inner_text()
    assert page.get_by_role("link", name="Sign in to get a new link").is_visible()
    page.checks.page_ok("verify-email-used")


def test_a_password_reset_by_the_mailed_link_keeps_the_second_step(page, mailbox, api, clock):
    email = unique_email("reset")
    sign_up_and_verify(page, mailbox, email)
    page.get_by_role("heading", name="Address confirmed").wait_for()
    token = api_session(api, email)
    status, enrollment = api.call("POST", "/v1/me/totp", {}, token)
    assert status == 201, enrollment
    status, confirmed = api.call("POST", "/v1/me/totp/confirm", {"code": totp(enrollment["secret"], clock.now())}, token)
    assert status == 200, confirmed

    page.goto("/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url(re.compile(r"/reset-password$"))
    page.checks.page_ok("reset-request")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("If an account exists for that address").wait_for()
    page.checks.page_ok("reset-sent")

    # An address without an account gets the very same answer.
    page.goto("/reset-password")
    page.get_by_label("Email address").fill(unique_email("nobody"))
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("If an account exists for that address").wait_for()

    link = Mailbox.link(mailbox.wait_for(email, "reset"), "/reset-password")
    page.goto(link)
    page.checks.page_ok("reset-new-password")
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Save the new password").click()
    page.locator(".field-error").wait_for()
    page.checks.page_ok("reset-weak-password")
    # A refused password leaves the link usable.
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    page.get_by_role("heading", name="Password changed").wait_for()
    page.checks.page_ok("password-changed")
    assert any(c["name"] == "lk_device" for c in page.context.cookies())

    # The old password no longer works; the new one still asks for the second step.
    status, _ = api.call("POST", "/v1/sessions", {"email": email, "password": PASSWORD})
    assert status == 401
    sign_in(page, email, NEW_PASSWORD)
    page.wait_for_url(re.compile(r"/sign-in/second-step"))
    # The same app as before the reset lets them in.
    clock.advance(30)
    page.get_by_label("Code from your authenticator app").fill(totp(enrollment["secret"], clock.now()))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/account$"))
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/sign-in"))

    # The link is spent.
    page.goto(link)
    page.get_by_label("New password").fill("yet another horse battery staple")
    page.get_by_role("button", name="Save the new password").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "ask for a new one" in alert.inner_text()
    assert page.get_by_role("link", name="Ask for a new link").is_visible()
    page.checks.page_ok("reset-link-used")


def activations(api, token):
    status, answer = api.call("GET", "/v1/me/licenses", None, token)
    assert status == 200, answer
    return [a for license in answer["licenses"] for a in license["activations"]]


def test_the_mailed_device_removal_link_removes_only_on_the_button(page, mailbox, api):
    email = unique_email("device")
    token, owned = verified_holder(page, mailbox, api, email, "notes-single")
    body = {"license_id": owned["id"], "fingerprint": f"laptop-{uuid.uuid4().hex}", "name": "Work laptop"}
    status, activated = api.call("POST", "/v1/activations", body, token)
    assert status in (200, 201), activated
    activation_id = activated["activation"]["id"]

    link = Mailbox.link(mailbox.wait_for(email, "new device"), "/devices/remove")
    response = page.goto(link)
    assert response.status == 200
    remove = page.get_by_role("button", name="Remove this device")
    remove.wait_for()
    # It says which device, before anything is done.
    assert "This link removes the device “Work laptop”" in page.locator("main").inner_text()
    page.checks.page_ok("remove-device")
    # Opening the link changed nothing.
    live = [a for a in activations(api, token) if a["id"] == activation_id]
    assert live and live[0].get("deactivated_at") is None, live

    # A link whose signature was tampered with is refused in words.
    page.goto(re.sub(r"sig=[0-9a-f]", "sig=x", link))
    assert page.get_by_role("button", name="Remove this device").count() == 0
    assert "Work laptop" not in page.locator("main").inner_text()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "not valid or has expired" in alert.inner_text()
    page.checks.page_ok("remove-device-bad-link")
    live = [a for a in activations(api, token) if a["id"] == activation_id]
    assert live and live[0].get("deactivated_at") is None, live

    page.goto(link)
    page.get_by_role("button", name="Remove this device").click()
    page.get_by_role("heading", name="Device removed").wait_for()
    page.checks.page_ok("device-removed")
    remaining = [a for a in activations(api, token) if a["id"] == activation_id and a.get("deactivated_at") is None]
    assert remaining == []
    # Opened again, the link says there is nothing left to do.
    page.goto(link)
    assert "already removed" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Remove this device").count() == 0
