"""/account/licenses: licenses with their keys and devices, the seat limit
in words, removing a device (with the step-up a policy asks for)."""

import re
import urllib.parse

from conftest import BASE, PASSWORD, request, sign_up, totp, unique_email, wait_for_path
from test_activate import activate_device, create_account_on_the_checklist, issue, session_token


def account_with_license(page, api, mailbox, policy, label):
    """A new account made on /activate with a fresh code of `policy`."""
    issued = issue(api, policy)
    page.goto("/activate?" + urllib.parse.urlencode({"code": issued["activation_code"]}))
    email = unique_email(label)
    create_account_on_the_checklist(page, mailbox, email)
    return email, issued


def test_empty_state_says_what_to_do(page):
    email = unique_email("empty")
    sign_up(page, email)
    page.goto("/sign-in?next=/account/licenses")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    wait_for_path(page, "/account/licenses")
    assert "no licenses on this account yet" in page.locator("main").inner_text()
    page.checks.page_ok("licenses-empty")
    # "Add another code" goes through the activation checklist.
    page.get_by_label("Activation code", exact=True).fill("ABCD")
    page.get_by_role("button", name="Add license").click()
    page.wait_for_url(re.compile(r"/activate\?code=ABCD"))


def test_a_full_license_says_so_in_english_and_estonian(page, api, mailbox):
    """notes-single has one seat: a second device is refused by the service
    (as the product would be told), and the licenses page, where the product
    sends the person, says why and what to do, in their language."""
    _, issued = account_with_license(page, api, mailbox, "notes-single", "seats")
    token = session_token(page)
    status, _ = activate_device(token, issued["id"], "fp-first", "Home desktop")
    assert status == 201
    status, refused = activate_device(token, issued["id"], "fp-second", "Office laptop")
    assert status == 409 and refused["code"] == "seat_limit_reached", refused

    page.goto("/account/licenses")
    main = page.locator("main").inner_text()
    assert "Home desktop" in main and "Devices (1 of 1)" in main
    alert = page.get_by_role("alert")
    assert "already in use on as many devices as it allows" in alert.inner_text()
    assert "Remove a device you no longer use" in alert.inner_text()
    page.checks.page_ok("seat-limit-en")

    page.goto("/account/licenses?lang=et")
    assert page.locator("html").get_attribute("lang") == "et"
    assert "Seda litsentsi kasutatakse juba nii paljudes seadmetes, kui see lubab." in page.get_by_role("alert").inner_text()
    page.checks.page_ok("seat-limit-et")

    # Removing the device frees the seat (no step-up for this policy).
    page.get_by_role("button", name="Eemalda see seade: Home desktop").click()
    page.wait_for_url(re.compile(r"/account/licenses\?removed=1"))
    assert "Seade eemaldati" in page.locator("main").inner_text()
    assert page.get_by_role("alert").count() == 0
    page.checks.page_ok("device-removed-et")
    status, _ = activate_device(token, issued["id"], "fp-second", "Office laptop")
    assert status == 201
    page.goto("/account/licenses?lang=en")


def test_removing_a_device_asks_to_confirm_it_is_you(page, api, mailbox, clock):
    """studio-mfa: removal needs a recent proof. Depends on the sign-in
    helper's /account/confirm page (a field 'Code from your authenticator
    app' and a 'Confirm' button, returning to next)."""
    email, issued = account_with_license(page, api, mailbox, "studio-mfa", "studio")
    browser_token = session_token(page)

    # An authenticator app, set up through the API with this session.
    status, enrollment = request("POST", BASE + "/v1/me/totp", {}, {"authorization": f"Bearer {browser_token}"})
    assert status == 201, enrollment
    secret = enrollment["secret"]
    status, confirmed = request(
        "POST", BASE + "/v1/me/totp/confirm", {"code": totp(secret, clock.now())}, {"authorization": f"Bearer {browser_token}"}
    )
    assert status == 200, confirmed

    # The product signs in with both steps and activates a device.
    clock.advance(31)
    status, pending = request("POST", BASE + "/v1/sessions", {"email": email, "password": PASSWORD})
    assert pending.get("state") == "mfa_required", pending
    status, signed = request(
        "POST", BASE + "/v1/sessions/totp", {"pending_token": pending["pending_token"], "code": totp(secret, clock.now())}
    )
    assert status in (200, 201) and signed.get("token"), signed
    status, activated = activate_device(signed["token"], issued["id"], "fp-studio", "Studio workstation")
    assert status == 201, activated

    # Later, removing it from the page asks to confirm first.
    clock.advance(600)
    page.goto("/account/licenses")
    assert "Studio workstation" in page.locator("main").inner_text()
    page.checks.page_ok("licenses-studio")
    page.get_by_role("button", name="Remove this device: Studio workstation").click()
    page.wait_for_url(re.compile(r"/account/confirm\?next=%2Faccount%2Flicenses"))
    page.checks.page_ok("confirm")
    clock.advance(31)
    page.get_by_label(re.compile("Code from your authenticator app", re.I)).fill(totp(secret, clock.now()))
    page.get_by_role("button", name="Confirm", exact=True).click()
    page.wait_for_url(re.compile(r"/account/licenses"))
    page.get_by_role("button", name="Remove this device: Studio workstation").click()
    page.wait_for_url(re.compile(r"/account/licenses\?removed=1"))
    assert "The device was removed." in page.locator("main").inner_text()
    assert "Studio workstation" not in page.locator("main").inner_text()
    page.checks.page_ok("device-removed")
