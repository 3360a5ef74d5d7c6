"""/activate: from an activation code to a license ready to use, as a
person holding a code does it, and the refusals on the way in words."""

import re
import uuid
import datetime
import urllib.parse

from conftest import BASE, PASSWORD, Mailbox, request, sign_in, sign_up, unique_email


# --- helpers: one per step a person takes ---------------------------------


def issue(api, policy, **fields):
    return api.issue(policy, **fields)["licenses"][0]


def with_typo(code):
    """The same code with one symbol changed: the check symbol catches it."""
    first = code[0]
    return ("1" if first != "1" else "2") + code[1:]


def session_token(page):
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return cookies.get("lk_session") or cookies.get("__Host-lk_session")


def create_account_on_the_checklist(page, mailbox, email):
    """Step 2 on /activate: a new account made with the code, then signing in
    from the 'check your email' page, which leads back to the checklist."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account and add license").click()
    page.get_by_text("Check your email").first.wait_for()
    page.checks.page_ok("check-your-email")
    mailbox.wait_for(email, "confirm")
    page.get_by_role("link", name="Sign in").first.click()
    page.wait_for_url(re.compile(r"/sign-in\?"))
    assert page.get_by_label("Email address").input_value() == email
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/activate\?code="))


def sign_up_and_sign_in(page, email):
    """An account with no code, signed in."""
    sign_up(page, email)
    sign_in(page, email)
    page.wait_for_url(re.compile(r"/account"))


def activate_device(token, license_id, fingerprint, name="Work laptop"):
    return request(
        "POST",
        BASE + "/v1/activations",
        {"license_id": license_id, "fingerprint": fingerprint, "name": name, "platform": "Linux"},
        {"authorization": f"Bearer {token}"},
    )


def validate(key, fingerprint):
    status, answer = request("POST", BASE + "/v1/licenses/validate", {"key": key, "fingerprint": fingerprint})
    assert status == 200, answer
    return answer


def metrics():
    import urllib.request

    with urllib.request.urlopen(BASE + "/metrics", timeout=30) as response:
        return response.read().decode()


def step_count(product, step):
    found = re.search(
        r'latchkey_activation_step_total\{product="%s",step="%s"\} (\d+)' % (product, step), metrics()
    )
    return int(found.group(1)) if found else 0


def current_step(page):
    return page.locator(".checklist li[aria-current=step]").inner_text()


# --- scenarios -------------------------------------------------------------


def test_notes_from_code_to_license_with_a_new_account(page, api, mailbox, clock):
    """notes-single asks for neither a EULA nor a factor: code, account, done."""
    issued = issue(api, "notes-single")
    code = issued["activation_code"]

    page.goto("/activate")
    page.checks.page_ok("code-empty")
    assert "Enter your activation code" in current_step(page)
    # Each step counts once for a browser: a reload is not another visitor.
    counted = step_count("unknown", "code")
    assert counted >= 1
    page.reload()
    assert step_count("unknown", "code") == counted

    # Typed loosely, formatted as typed; a typo is said before sending.
    field = page.get_by_label("Activation code", exact=True)
    field.press_sequentially(with_typo(code).replace("-", "").lower())
    assert field.input_value() == with_typo(code)
    typo = page.locator("#code-typo [role=alert]")
    typo.wait_for()
    assert "typo" in typo.inner_text()
    page.checks.page_ok("code-typo-caught-as-typed")

    # The server catches it too (as without the script).
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/activate\?code="))
    assert "typo" in page.locator(".field-error").inner_text()
    page.checks.page_ok("code-typo-from-server")

    field = page.get_by_label("Activation code", exact=True)
    field.fill("")
    field.press_sequentially(code.replace("-", "").lower())
    assert field.input_value() == code
    assert page.locator("#code-typo [role=alert]").count() == 0
    clock.advance(90)
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/activate\?code="))
    assert "Create an account or sign in" in current_step(page)
    sign_in_link = page.get_by_role("link", name="Sign in to continue")
    assert "next=%2Factivate%3Fcode%3D" in sign_in_link.get_attribute("href")
    page.checks.page_ok("account-choice")

    # A step back and forward again counts neither step twice.
    here = page.url
    counted = (step_count("unknown", "code"), step_count("notes", "account"))
    page.goto("/activate")
    assert "Enter your activation code" in current_step(page)
    page.goto(here)
    assert "Create an account or sign in" in current_step(page)
    assert (step_count("unknown", "code"), step_count("notes", "account")) == counted

    email = unique_email("notes")
    create_account_on_the_checklist(page, mailbox, email)
    page.get_by_role("heading", name="Your license is ready").wait_for()
    key = page.locator("#license-key").inner_text().strip()
    assert key == issued["key"]
    assert page.get_by_role("button", name="Copy the key").is_visible()
    assert "Open notes on your computer" in page.locator("main").inner_text()
    page.checks.page_ok("done")

    # The funnel: each step reached is counted, the time to value measured.
    text = metrics()
    assert re.search(r'latchkey_activation_step_total\{product="unknown",step="code"\} [1-9]', text), text
    assert re.search(r'latchkey_activation_step_total\{product="notes",step="done"\} [1-9]', text)
    count = re.search(r'latchkey_activation_time_to_value_seconds_count\{product="notes"\} (\d+)', text)
    assert count and int(count.group(1)) >= 1
    total = re.search(r'latchkey_activation_time_to_value_seconds_sum\{product="notes"\} ([0-9.]+)', text)
    assert total and float(total.group(1)) >= 90

    # The product activates this device with the user's session, then validates.
    token = session_token(page)
    status, activated = activate_device(token, issued["id"], "fp-notes-1")
    assert status == 201, activated
    answer = validate(key, "fp-notes-1")
    assert answer["valid"] is True and answer["code"] == "VALID", answer

    page.get_by_role("link", name="See your licenses and devices").click()
    page.wait_for_url(re.compile(r"/account/licenses$"))
    main = page.locator("main").inner_text()
    assert "notes-single" in main and "Work laptop" in main and key in main
    # Each device with its platform, when it was last seen and its offline lease.
    device = page.locator("li", has=page.locator(".device-name", has_text="Work laptop")).inner_text()
    assert re.search(r"System\s+Linux", device), device
    assert re.search(r"Last seen\s+\S", device), device
    assert re.search(r"(Active until \S|Stays activated)", device), device
    page.checks.page_ok("licenses")


def test_vault_with_eula_and_passkey(page, api, mailbox, passkeys):
    """vault-passkey: the EULA in the visitor's language, then a passkey.
    Depends on the security pages' /account/security/passkey?next= and on
    signing in with a passkey (the sign-in helper's pages)."""
    version = f"v-{uuid.uuid4().hex[:8]}"
    api.publish_eula("vault", version, "Vault License Agreement", "You may use Vault.\n\nDo not resell it.", "en")
    api.publish_eula("vault", version, "Vaulti litsentsileping", "Te võite Vaulti kasutada.\n\nÄrge müüge seda edasi.", "et")
    issued = issue(api, "vault-passkey")
    code = issued["activation_code"]

    page.goto("/activate?" + urllib.parse.urlencode({"code": code}))
    page.checks.page_ok("account-choice")
    email = unique_email("vault")
    create_account_on_the_checklist(page, mailbox, email)

    # The EULA, in English; in Estonian where published; a note elsewhere.
    assert "Accept the license agreement" in current_step(page)
    assert page.get_by_role("heading", name="Vault License Agreement").is_visible()
    box = page.get_by_role("checkbox")
    assert not box.is_checked()
    page.checks.page_ok("eula-en")
    here = page.url
    page.goto(here + "&lang=et")
    assert page.get_by_role("heading", name="Vaulti litsentsileping").is_visible()
    assert "Ärge müüge" in page.locator(".eula-text").inner_text()
    page.checks.page_ok("eula-et")
    page.goto(here + "&lang=lv")
    # No Latvian version: a published one, marked with its language, and a note.
    assert page.locator(".eula-text").get_attribute("lang") in ("en", "et")
    assert "nav pieejams jūsu valodā" in page.locator("main").inner_text()
    page.checks.page_ok("eula-lv-fallback")
    page.goto(here + "&lang=en")

    # Pressing the button without ticking the box accepts nothing.
    page.get_by_role("button", name="I accept the license agreement").click()
    page.get_by_role("alert").filter(has_text="You did not tick the box").wait_for()
    page.checks.page_ok("eula-not-ticked")
    page.get_by_label(re.compile("I have read the license agreement")).check()
    page.get_by_role("button", name="I accept the license agreement").click()

    # The passkey, set up on the security page, which comes back here.
    page.wait_for_url(re.compile(r"/activate\?code="))
    assert "Set up the extra sign-in step" in current_step(page)
    page.checks.page_ok("factor")
    link = page.get_by_role("link", name="Set up a passkey")
    assert "next=%2Factivate%3Fcode%3D" in link.get_attribute("href")
    link.click()
    page.wait_for_url(re.compile(r"/account/security/passkey"))
    page.get_by_role("button", name=re.compile("Add a passkey", re.I)).click()
    page.wait_for_url(re.compile(r"/activate\?code="), timeout=20_000)
    page.get_by_role("heading", name="Your license is ready").wait_for()
    key = page.locator("#license-key").inner_text().strip()
    assert key == issued["key"]
    page.checks.page_ok("done")

    page.goto("/account/licenses")
    assert "vault-passkey" in page.locator("main").inner_text()
    page.checks.page_ok("licenses")

    # The product signs in with the passkey, activates this device, validates.
    # Chromium's virtual authenticator answers passkey autofill at once, which
    # would sign in before the button is pressed; this browser offers none.
    page.add_init_script(
        "if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(re.compile(r"/account"))
    status, activated = activate_device(session_token(page), issued["id"], "fp-vault-1")
    assert status == 201, activated
    answer = validate(key, "fp-vault-1")
    assert answer["valid"] is True and answer["code"] == "VALID", answer


def test_refusals_of_a_code_are_said_in_words(page, api, mailbox, clock):
    """Unknown, used and expired codes, on the checklist, in English and Estonian."""
    email = unique_email("refused")
    sign_up_and_sign_in(page, email)

    # A well-formed code nobody issued.
    values = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    body = [values.index(c) for c in "ABCDEFGHJKMNPQR"]
    total = 0
    for i, v in enumerate(reversed(body)):
        addend = v * 2 if i % 2 == 0 else v
        total += addend // 32 + addend % 32
    unknown = "".join(values[v] for v in body) + values[(32 - total % 32) % 32]
    response = page.goto("/activate?code=" + unknown)
    assert response.status == 404
    assert "could not find that activation code" in page.locator(".field-error").inner_text()
    assert page.get_by_label("Activation code", exact=True).get_attribute("aria-invalid") == "true"
    page.checks.page_ok("code-unknown")

    # A code someone else already used: refused when adding it.
    used = issue(api, "notes-single")
    status, _ = request("POST", BASE + "/v1/users", {"email": unique_email("first"), "password": PASSWORD, "activation_code": used["activation_code"]})
    assert status == 202
    page.goto("/activate?code=" + used["activation_code"])
    assert "Add the license to your account" in current_step(page)
    page.checks.page_ok("license-step")
    page.get_by_role("button", name="Add the license to my account").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "already been used" in alert.inner_text()
    page.checks.page_ok("code-used")

    # A license that expired before its code was used.
    at = datetime.datetime.fromtimestamp(clock.now() + 60, datetime.timezone.utc)
    expired = issue(api, "notes-single", expires_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    clock.advance(120)
    response = page.goto("/activate?code=" + expired["activation_code"])
    assert response.status >= 400
    assert "This license has expired." in page.get_by_role("alert").inner_text()
    assert "for a new one" in page.get_by_role("alert").inner_text()
    page.checks.page_ok("code-expired-en")
    page.goto("/activate?lang=et&code=" + expired["activation_code"])
    assert page.locator("html").get_attribute("lang") == "et"
    assert "Selle litsentsi kehtivus on lõppenud." in page.get_by_role("alert").inner_text()
    page.checks.page_ok("code-expired-et")
    page.goto("/activate?lang=en&code=" + unknown)


def test_a_code_for_one_address_waits_for_it_and_the_link_leads_back(page, api, mailbox):
    """A code reserved for the buyer's address is added only once that
    address is confirmed: the checklist says so, and the mailed link, opened
    in this browser, leads back to the checklist with the code."""
    email = unique_email("bound")
    issued = issue(api, "notes-single", owner_email=email)
    page.goto(f"/activate?code={issued['activation_code']}")
    create_account_on_the_checklist(page, mailbox, email)
    assert "Confirm your email address" in current_step(page)
    assert email in page.locator("main").inner_text()
    page.checks.page_ok("email-step")

    message = mailbox.wait_for(email, "confirm")
    page.goto(Mailbox.link(message, "/verify-email"))
    page.get_by_role("button").filter(has_text=re.compile("confirm", re.I)).first.click()
    page.get_by_role("link", name="Continue activating").click()
    page.wait_for_url(re.compile(r"/activate\?resume=1$"))
    page.get_by_role("button", name="Add the license to my account").click()
    page.get_by_role("heading", name="Your license is ready").wait_for()
    assert page.locator("#license-key").inner_text().strip() == issued["key"]
    page.checks.page_ok("done-after-confirming")
