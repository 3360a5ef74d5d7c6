"""Fixtures for the browser scenarios: Debian's Chromium driven by Playwright,
the application under test (started by tests/api/browser.rs), its caught mail
and its clock, the admin API for setting up licenses, TOTP codes, a virtual
passkey authenticator, and the accessibility check every page goes through."""

import base64
import hashlib
import hmac
import json
import os
import re
import struct
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

BASE = os.environ["LATCHKEY_URL"]
CONTROL = os.environ["LATCHKEY_CONTROL_URL"]
ADMIN_KEY = os.environ["LATCHKEY_ADMIN_KEY"]
ARTIFACTS = Path(os.environ.get("LATCHKEY_ARTIFACTS", "target/browser-artifacts"))
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "target" / "browser-deps" / "node_modules" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text() if AXE.exists() else "throw new Error('axe-core missing: run tests/run')"
CHROMIUM = os.environ.get("LATCHKEY_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery staple"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def request(method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, (json.loads(text) if text else None)


class Api:
    """The JSON API, as an admin or as product software."""

    def admin(self, method, path, body=None):
        status, answer = request(method, BASE + path, body, {"authorization": f"Bearer {ADMIN_KEY}"})
        assert status < 300, f"{method} {path}: {status} {answer}"
        return answer

    def call(self, method, path, body=None, token=None):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return request(method, BASE + path, body, headers)

    def issue(self, policy, **fields):
        """A new license under `policy`; returns the API's answer (with `activation_code`)."""
        return self.admin("POST", "/v1/admin/licenses", {"policy": policy, **fields})

    def publish_eula(self, product, version, title, body, locale="en", material=True):
        return self.admin(
            "POST",
            "/v1/admin/eulas",
            {"product": product, "version": version, "title": title, "body": body, "locale": locale, "material": material},
        )


class Mailbox:
    """The mail the application sent, caught by the test's SMTP sink."""

    def messages(self, to):
        status, answer = request("GET", CONTROL + "/mail?" + urllib.parse.urlencode({"to": to}))
        assert status == 200
        return answer

    def wait_for(self, to, subject_part, count=1, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [m for m in self.messages(to) if subject_part.lower() in m["subject"].lower()]
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.2)
        raise AssertionError(f"no mail '{subject_part}' to {to}: {[m['subject'] for m in self.messages(to)]}")

    @staticmethod
    def link(message, path):
        match = re.search(r"https?://\S*" + re.escape(path) + r"\S*", message["text"])
        assert match, f"no {path} link in: {message['text']}"
        return match.group(0)


class Clock:
    """The application's clock: TOTP codes are computed at its time."""

    def now(self):
        return request("GET", CONTROL + "/clock")[1]["now"]

    def advance(self, seconds):
        request("POST", CONTROL + "/clock/advance", {"seconds": seconds})


def totp(secret_base32, at):
    """RFC 6238: six digits, 30-second steps, SHA-1."""
    padded = secret_base32.upper() + "=" * (-len(secret_base32) % 8)
    key = base64.b32decode(padded)
    counter = struct.pack(">Q", int(at) // 30)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def unique_email(label="user"):
    return f"{label}-{uuid.uuid4().hex[:10]}@example.test"


def csp_directives(value):
    return {part.split()[0]: part.split()[1:] for part in value.split(";") if part.strip()}


def good_csp(url, value):
    """No inline script anywhere, no framing; inline styles only where a
    vendor's chat widget loads (the support page), which every widget needs."""
    directives = csp_directives(value)
    widget_page = urllib.parse.urlsplit(url).path == "/account/support"
    return (
        directives.get("frame-ancestors") == ["'none'"]
        and "'unsafe-inline'" not in directives.get("script-src", [])
        and "'unsafe-eval'" not in directives.get("script-src", [])
        and (widget_page or "'unsafe-inline'" not in value)
    )


SECURITY_HEADERS = {
    "content-security-policy": good_csp,
    "referrer-policy": lambda url, v: v == "same-origin",
    "x-content-type-options": lambda url, v: v == "nosniff",
    "x-frame-options": lambda url, v: v == "DENY",
    "cache-control": lambda url, v: "no-store" in v,
}


class Checks:
    """Each page a scenario reaches: security headers, no serious or critical
    axe-core violation, and screenshots at desktop and phone width."""

    def __init__(self, page, scenario):
        self.page = page
        self.scenario = scenario
        self.count = 0
        # Filled by the response listener, asserted when the scenario ends:
        # an assertion inside a Playwright listener surfaces at some later call.
        self.bad_headers = []

    def headers(self, response):
        headers = {k.lower(): v for k, v in response.headers.items()}
        for name, good in SECURITY_HEADERS.items():
            if not (name in headers and good(response.url, headers[name])):
                self.bad_headers.append(f"{response.url}: {name} = {headers.get(name)}")

    def page_ok(self, name):
        page = self.page
        self.count += 1
        assert page.locator("html").get_attribute("lang") in ("en", "et", "lv", "ru")
        # Evaluated through DevTools, which our Content-Security-Policy does
        # not govern: the pages themselves allow no inline script.
        page.evaluate(AXE_SOURCE)
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
            }"""
        )
        assert result == [], f"axe on {name} ({page.url}): {json.dumps(result, indent=1)}"
        folder = ARTIFACTS / self.scenario
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{self.count:02d}-{name}"
        original = page.viewport_size
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.screenshot(path=str(folder / f"{stem}-{label}.png"), full_page=True)
            if label == "phone":
                # Usable at 360 px: nothing wider than the screen.
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 1, f"{name} scrolls sideways at 360 px by {overflow}px"
        page.set_viewport_size(original)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(base_url=BASE, locale="en-US", viewport=DESKTOP)
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(context, request):
    page = context.new_page()
    page.checks = Checks(page, request.node.name)
    page.on("response", lambda r: page.checks.headers(r) if _is_page(r) else None)
    yield page
    assert page.checks.bad_headers == [], "pages without their security headers:\n" + "\n".join(
        page.checks.bad_headers
    )


def _is_page(response):
    return response.url.startswith(BASE) and "text/html" in (response.headers.get("content-type") or "")


@pytest.fixture
def passkeys(context, page):
    """A virtual CTAP2 authenticator built into the 'device': resident keys,
    user verification (the biometric check) that succeeds."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    created = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return {"cdp": cdp, "id": created["authenticatorId"]}


@pytest.fixture(scope="session")
def api():
    return Api()


@pytest.fixture(scope="session")
def mailbox():
    return Mailbox()


@pytest.fixture(scope="session")
def clock():
    return Clock()


def csrf_of(page):
    return page.locator('input[name="csrf"]').first.get_attribute("value")


def wait_for_path(page, path):
    """Waits until the page has arrived at `path` with no query. A pattern
    on the whole URL can match the page being left, when its `?next=` ends
    with the same path, and let the test run ahead of the navigation."""
    def arrived(url):
        parts = urllib.parse.urlsplit(url)
        return parts.path == path and not parts.query

    page.wait_for_url(arrived)


def sign_up_and_verify(page, mailbox, email, password=PASSWORD):
    """An account made through the pages, with its address confirmed through the mailed link."""
    page.goto("/sign-up")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Choose a password").fill(password)
    page.get_by_role("button", name="Create account").click()
    page.get_by_text("Check your email").first.wait_for()
    message = mailbox.wait_for(email, "confirm")
    page.goto(Mailbox.link(message, "/verify-email"))
    page.get_by_role("button").filter(has_text=re.compile("confirm", re.I)).first.click()
    return email


def sign_in(page, email, password=PASSWORD):
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_up(page, email, password=PASSWORD):
    """An account made through the sign-up page (its address not yet confirmed)."""
    page.goto("/sign-up")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Choose a password").fill(password)
    page.get_by_role("button", name="Create account").click()
    page.get_by_text(email).first.wait_for()


def signed_in_account(page, label):
    """A new account, signed in on the pages; its address."""
    email = unique_email(label)
    sign_up(page, email)
    sign_in(page, email)
    page.wait_for_url(re.compile(r"/account$"))
    return email


def api_session(api, email, password=PASSWORD):
    """A bearer session for the same account, to look at it through the API."""
    status, answer = api.call("POST", "/v1/sessions", {"email": email, "password": password})
    assert status in (200, 201) and answer["state"] == "authenticated", f"{status} {answer}"
    return answer["token"]


def verified_holder(page, mailbox, api, email, policy):
    """An account made and confirmed through the pages, holding a fresh
    license of `policy` redeemed through the API: its bearer session and
    the license as the API shows it."""
    sign_up_and_verify(page, mailbox, email)
    page.get_by_role("heading", name="Address confirmed").wait_for()
    token = api_session(api, email)
    # The admin API answers with a list of the licenses it issued.
    code = api.issue(policy)["licenses"][0]["activation_code"]
    status, owned = api.call("POST", "/v1/me/licenses/redeem", {"activation_code": code}, token)
    assert status == 201, owned
    return token, owned
