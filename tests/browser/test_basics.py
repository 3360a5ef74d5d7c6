"""The frame every page shares: signing up and in, languages, the form
token, the headers, and the pages for what does not exist."""

import re

from conftest import BASE, PASSWORD, csrf_of, sign_in, unique_email


def test_sign_up_then_sign_in_shows_the_account(page, mailbox):
    email = unique_email("basics")
    response = page.goto("/sign-up")
    assert response.status == 200
    page.checks.page_ok("sign-up")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_text(email).first.wait_for()
    page.checks.page_ok("check-your-email")
    mailbox.wait_for(email, "confirm")

    page.goto("/sign-in")
    page.checks.page_ok("sign-in")
    sign_in(page, email)
    page.wait_for_url(re.compile(r"/account$"))
    assert email in page.locator("main").inner_text()
    page.checks.page_ok("account")

    # Signed in, the sign-in page leads to the account.
    page.goto("/sign-in")
    page.wait_for_url(re.compile(r"/account$"))

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))
    page.goto("/account")
    page.wait_for_url(re.compile(r"/sign-in\?next=%2Faccount"))


def test_a_wrong_password_is_said_in_words_and_keeps_the_address(page):
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(unique_email("nobody"))
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in", exact=True).click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "email" in alert.inner_text().lower()
    assert page.get_by_label("Email address").input_value().startswith("nobody-")
    page.checks.page_ok("sign-in-refused")


def test_the_language_follows_the_browser_and_the_switcher(browser):
    context = browser.new_context(base_url=BASE, locale="et-EE", extra_http_headers={"accept-language": "et-EE,et;q=0.9"})
    page = context.new_page()
    page.goto("/sign-in")
    assert page.locator("html").get_attribute("lang") == "et"
    page.get_by_role("link", name="Русский").click()
    assert page.locator("html").get_attribute("lang") == "ru"
    # Remembered from then on.
    page.goto("/sign-up")
    assert page.locator("html").get_attribute("lang") == "ru"
    context.close()


def test_a_post_without_the_form_token_changes_nothing(page, mailbox):
    email = unique_email("csrf")
    page.goto("/sign-up")
    token = csrf_of(page)
    assert token
    # The same form, posted without its token: refused with a page, no account, no mail.
    response = page.request.post(
        BASE + "/sign-up", form={"email": email, "password": PASSWORD}, headers={"origin": BASE}
    )
    assert response.status == 403
    assert "text/html" in response.headers["content-type"]
    assert "expired" in response.text().lower()
    # A wrong token, or the right one from another site, is refused too.
    response = page.request.post(BASE + "/sign-up", form={"email": email, "password": PASSWORD, "csrf": "0" * 48})
    assert response.status == 403
    response = page.request.post(
        BASE + "/sign-up", form={"email": email, "password": PASSWORD, "csrf": token}, headers={"origin": "https://evil.example"}
    )
    assert response.status == 403
    assert mailbox.messages(email) == []
    # With it, the same post goes through.
    response = page.request.post(BASE + "/sign-up", form={"email": email, "password": PASSWORD, "csrf": token})
    assert response.status == 200
    mailbox.wait_for(email, "confirm")


def test_a_form_whose_token_is_gone_and_a_wrong_method_get_pages_in_words(page):
    page.goto("/sign-in")
    # As if the page sat open past its token (or a form was forged): the form
    # arrives without it.
    page.evaluate("() => document.querySelectorAll('input[name=csrf]').forEach(i => i.remove())")
    page.get_by_label("Email address").fill(unique_email("expired"))
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/sign-in") and r.request.method == "POST") as posted:
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert posted.value.status == 403
    assert "expired" in page.locator("h1").inner_text().lower()
    assert "Nothing was changed" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("link", name="Get a support PIN and contact support").is_visible()
    page.checks.page_ok("form-expired")

    response = page.goto("/sign-out")
    assert response.status == 405
    page.get_by_role("alert").wait_for()
    page.checks.page_ok("wrong-method")


def test_the_keyboard_reaches_the_content_first_with_a_visible_focus(page):
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const e = document.activeElement;
            const style = getComputedStyle(e);
            return {text: e.textContent.trim(), href: e.getAttribute('href'),
                    outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
                    color: style.outlineColor, halo: style.boxShadow};
        }"""
    )
    # The first stop skips the header; its ring is drawn, dark with a light halo.
    assert focused["href"] == "#main", focused
    assert focused["outline"] == "solid" and focused["width"] >= 2, focused
    assert focused["color"] == "rgb(27, 31, 36)" and "245, 180, 0" in focused["halo"], focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "email"


def test_unknown_pages_are_friendly_and_api_paths_stay_json(page):
    response = page.goto("/no/such/page")
    assert response.status == 404
    assert page.get_by_role("alert").count() == 1
    page.checks.page_ok("not-found")
    api = page.request.get(BASE + "/v1/no-such-thing")
    assert api.status == 404
    assert api.headers["content-type"].startswith("application/problem+json")


def test_next_only_leads_within_this_site(page, mailbox):
    email = unique_email("next")
    page.goto("/sign-up")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_text(email).first.wait_for()
    page.goto("/sign-in?next=//evil.example/steal")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"^" + re.escape(BASE) + r"/account$"))
