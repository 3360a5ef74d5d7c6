"""The security page: sessions listed and signed out, passkeys renamed and
removed (removing one asks to confirm it is you with a passkey), the
address section, and the enrollment pages that return to `next`."""

import re

from conftest import PASSWORD, signed_in_account, unique_email, wait_for_path




def test_sessions_and_passkeys_on_the_security_page(page, api, mailbox, passkeys):
    email = signed_in_account(page, "security")
    # Another session, as an app would start one.
    status, answer = api.call("POST", "/v1/sessions", {"email": email, "password": PASSWORD})
    assert status == 201, answer

    page.goto("/account/security")
    sessions = page.locator("#sessions li")
    assert sessions.count() == 2
    this = page.locator("#sessions li.this-session")
    assert "This device" in this.inner_text()
    page.checks.page_ok("security")
    email_section = page.locator("#email").inner_text()
    assert email in email_section and "Not confirmed yet" in email_section
    page.locator("#email").get_by_role("button", name="Send the link again").click()
    page.get_by_text("We sent the link again.").wait_for()
    mailbox.wait_for(email, "confirm", count=2)

    other = page.locator("#sessions li:not(.this-session)")
    other.get_by_role("button", name="Sign out this device").click()
    page.get_by_text("That device is signed out.").wait_for()
    assert page.locator("#sessions li").count() == 1
    status, _ = api.call("GET", "/v1/me", None, answer["token"])
    assert status == 401

    # A passkey: added, renamed, removed.
    page.get_by_label("Name for the new passkey (optional)").fill("First key")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url(re.compile(r"done=passkey-added"))
    page.get_by_text("Rename “First key”").click()
    page.get_by_label("New name").fill("Laptop key")
    page.get_by_role("button", name="Save the name").click()
    page.get_by_text("The passkey is renamed.").wait_for()
    assert "Laptop key" in page.locator("#passkeys").inner_text()
    page.checks.page_ok("security-passkey")

    # Removing the only passkey needs a proof as strong as a passkey.
    page.get_by_role("button", name="Remove the passkey “Laptop key”").click()
    page.wait_for_url(re.compile(r"/account/confirm\?"))
    page.get_by_role("heading", name="Confirm it is you").wait_for()
    page.checks.page_ok("confirm-passkey")
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(re.compile(r"/account/security"))
    page.get_by_role("button", name="Remove the passkey “Laptop key”").click()
    page.get_by_text("The passkey is removed.").wait_for()
    assert "You have no passkeys yet." in page.locator("#passkeys").inner_text()
    events = page.locator("#events").inner_text()
    assert "Passkey added" in events and "Passkey removed" in events


def test_enrollment_pages_return_to_next(page, passkeys, clock):
    signed_in_account(page, "enroll")
    page.goto("/account/security/passkey?next=/account/licenses")
    page.get_by_role("heading", name="Add a passkey").wait_for()
    page.checks.page_ok("passkey-page")
    page.get_by_role("button", name="Add a passkey").click()
    wait_for_path(page, "/account/licenses")

    page.goto("/account/security/totp?next=/account/licenses")
    page.checks.page_ok("totp-page")
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.locator("#totp-key").wait_for()


def test_password_change_and_confirm_with_the_password(page, clock):
    email = signed_in_account(page, "password")
    page.goto("/account/security#password")
    page.get_by_label("Current password").fill("not my password at all")
    page.get_by_label("New password").fill("a brand new passphrase")
    page.get_by_role("button", name="Change password").click()
    page.locator("#current_password-error, #password [role=alert]").first.wait_for()
    page.checks.page_ok("password-refused")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("a brand new passphrase")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your password is changed.").wait_for()

    # Later, changing the address asks to confirm it is you: with the password, as there is no second step.
    clock.advance(6 * 60)
    page.get_by_text("Change your email address").click()
    page.get_by_label("New email address").fill(unique_email("moved"))
    page.get_by_role("button", name="Change address").click()
    page.wait_for_url(re.compile(r"/account/confirm\?"))
    page.checks.page_ok("confirm-password")
    page.get_by_label("Your password").fill("a brand new passphrase")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/account/security"))
    page.get_by_text("Change your email address").click()
    page.get_by_label("New email address").fill(unique_email("moved"))
    page.get_by_role("button", name="Change address").click()
    page.get_by_text("We sent a link to").wait_for()
    page.checks.page_ok("email-change-sent")

    # The longer words of the other languages still fit a phone.
    page.goto("/account/security?lang=ru")
    assert "Вход и безопасность" in page.locator("h1").inner_text()
    page.checks.page_ok("security-ru")
    page.goto("/account/confirm?lang=lv&next=/account/security")
    page.get_by_label("Jūsu parole").wait_for()
    page.checks.page_ok("confirm-lv")
    page.goto("/account/security/totp?lang=et")
    page.checks.page_ok("totp-page-et")
    page.goto("/account?lang=en")
    assert email in page.locator("main").inner_text()


def test_removing_a_passkey_asks_only_for_a_passkey(page, passkeys, clock):
    """With an authenticator app and a passkey, removing the passkey needs a
    passkey-strength proof: the confirm page offers only the passkey, so a
    code cannot succeed there and be refused again here, round and round."""
    from test_sign_in import enroll_totp

    signed_in_account(page, "strongest")
    enroll_totp(page, clock)
    page.goto("/account/security")
    page.get_by_label("Name for the new passkey (optional)").fill("Key")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url(re.compile(r"done=passkey-added"))
    page.get_by_role("button", name="Remove the passkey “Key”").click()
    page.wait_for_url(re.compile(r"/account/confirm\?.*need=passkey"))
    assert page.get_by_label("Code from your authenticator app").count() == 0
    assert page.get_by_role("link", name=re.compile("authenticator app", re.I)).count() == 0
    page.checks.page_ok("confirm-only-passkey")
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(re.compile(r"/account/security"))
    page.get_by_role("button", name="Remove the passkey “Key”").click()
    page.get_by_text("The passkey is removed.").wait_for()
