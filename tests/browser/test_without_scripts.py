"""The pages without JavaScript: everything but passkeys works as plain
forms and links. A person with scripts off (or a browser that failed to
load ours) goes from an empty account to a license, an authenticator app,
a second-step sign-in and a support PIN."""

import re

from conftest import BASE, DESKTOP, PASSWORD, Checks, _is_page, sign_up_and_verify, totp, unique_email


def test_an_account_a_license_a_second_step_and_a_pin_without_scripts(browser, api, mailbox, clock):
    context = browser.new_context(base_url=BASE, locale="en-US", viewport=DESKTOP, java_script_enabled=False)
    context.set_default_timeout(30_000)
    page = context.new_page()
    checks = Checks(page, "without-scripts")
    page.on("response", lambda r: checks.headers(r) if _is_page(r) else None)
    try:
        email = sign_up_and_verify(page, mailbox, unique_email("noscript"))
        page.get_by_role("heading", name="Address confirmed").wait_for()

        page.goto("/sign-in")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(re.compile(r"/account$"))

        # The onboarding checklist: the address done, each open item a link to its step.
        checklist = page.locator(".checklist")
        assert "Confirm your email address" in " ".join(checklist.locator("li.done").all_inner_texts())
        assert checklist.get_by_role("link", name="Add your license").get_attribute("href") == "/activate"
        assert checklist.get_by_role("link", name="Add a second sign-in step").get_attribute("href").startswith(
            "/account/security"
        )
        checklist.get_by_role("link", name="Add your license").click()

        issued = api.issue("notes-single")["licenses"][0]
        page.get_by_label("Activation code", exact=True).fill(issued["activation_code"])
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Add the license to my account").click()
        page.get_by_role("heading", name="Your license is ready").wait_for()
        assert page.locator("#license-key").inner_text().strip() == issued["key"]
        # The copy button needs the script, so it stays out of the way.
        assert not page.get_by_role("button", name="Copy the key").is_visible()

        page.goto("/account")
        assert "Add your license" in " ".join(page.locator(".checklist li.done").all_inner_texts())

        # An authenticator app: the key typed from the page, the code from the test.
        page.goto("/account/security")
        page.get_by_role("button", name="Set up an authenticator app").click()
        key = page.locator("#totp-key").inner_text().replace(" ", "")
        page.get_by_label("Code from your authenticator app").fill(totp(key, clock.now()))
        page.get_by_role("button", name="Turn on").click()
        page.get_by_role("heading", name="Your recovery codes").wait_for()
        page.get_by_role("link", name="I have saved my codes").click()
        page.get_by_role("button", name="Sign out").first.click()
        page.wait_for_url(re.compile(r"/sign-in"))

        clock.advance(30)
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(re.compile(r"/sign-in/second-step"))
        page.get_by_label("Code from your authenticator app").fill(totp(key, clock.now()))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(re.compile(r"/account$"))

        # A support PIN, and when it ends in words (the countdown is the script's).
        page.goto("/account/support")
        page.get_by_role("button", name="Get a support PIN").click()
        assert re.fullmatch(r"\d{6}", page.locator("#support-pin").inner_text().strip())
        assert "The PIN works until" in page.locator("main").inner_text()
        assert checks.bad_headers == [], checks.bad_headers
    finally:
        context.close()
