"""An app signing its user in through the browser (OAuth 2.0 with PKCE,
OpenID Connect): the app opens the sign-in link, the person signs in and
approves on our pages, and Chromium carries the code back to the app's
loopback listener. The app's side here is plain HTTP and PyJWT, nothing of
ours."""

import base64
import hashlib
import json
import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt

from conftest import BASE, PASSWORD, request, sign_in, sign_up, unique_email, verified_holder

CLIENT = "studio-desktop"


class Loopback:
    """The app's redirect listener on 127.0.0.1 (RFC 8252): it keeps what
    the browser brings and answers with a page, as a desktop app does."""

    def __init__(self):
        self.received = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                # The browser asks for a favicon too.
                if self.path.startswith("/callback"):
                    outer.received.append(self.path)
                body = b"<!doctype html><html lang=en><title>Studio</title><p>You can close this window.</p></html>"
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def query(self):
        assert len(self.received) == 1, self.received
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.received.pop()).query))

    def close(self):
        self.server.shutdown()


def authorization(loopback, scope="openid email", client=CLIENT, details=None):
    """The link the app opens, and what it keeps to finish: state, nonce, PKCE verifier."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    kept = {"state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16), "verifier": verifier}
    params = {
        "client_id": client,
        "redirect_uri": loopback.redirect_uri,
        "response_type": "code",
        "scope": scope,
        "state": kept["state"],
        "nonce": kept["nonce"],
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if details is not None:
        params["authorization_details"] = json.dumps(details)
    query = urllib.parse.urlencode(params)
    return f"/oauth/authorize?{query}", kept


def token_endpoint(form):
    request = urllib.request.Request(
        BASE + "/oauth/token",
        data=urllib.parse.urlencode(form).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def verified_id_token(id_token, nonce, client=CLIENT):
    with urllib.request.urlopen(BASE + "/.well-known/jwks.json") as response:
        jwks = jwt.PyJWKSet.from_dict(json.load(response))
    key = next(k for k in jwks.keys if k.key_id == jwt.get_unverified_header(id_token)["kid"])
    required = ["exp", "iat", "auth_time", "sub"] + (["nonce"] if nonce else [])
    claims = jwt.decode(id_token, key=key, algorithms=[key.algorithm_name], audience=client, issuer=BASE,
                        # Earlier scenarios move the application's clock ahead of this machine's.
                        options={"require": required}, leeway=3600)
    assert claims.get("nonce") == nonce
    return claims


def test_an_app_signs_its_user_in_and_a_declined_request_goes_back_too(page):
    email = unique_email("oauth")
    sign_up(page, email)
    loopback = Loopback()
    try:
        # Signed out: the link leads through sign-in and back to the approval.
        link, kept = authorization(loopback)
        page.goto(link)
        page.wait_for_url(re.compile(r"/sign-in\?next="))
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_role("heading", name="Sign in to Studio Desktop").wait_for()
        assert email in page.locator("main").inner_text()
        assert "your email address" in page.locator("main").inner_text()
        page.checks.page_ok("oauth-approve")

        # Approved: Chromium lands on the app's listener with the code.
        page.get_by_role("button", name="Allow and continue").click()
        page.wait_for_url(re.compile(re.escape(loopback.redirect_uri)))
        answer = loopback.query()
        assert answer["state"] == kept["state"] and answer["iss"] == BASE, answer

        status, tokens = token_endpoint({
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": loopback.redirect_uri,
            "code_verifier": kept["verifier"],
            "client_id": CLIENT,
        })
        assert status == 200, tokens
        claims = verified_id_token(tokens["id_token"], kept["nonce"])
        assert claims["email"] == email and claims["amr"] == ["pwd"], claims
        assert tokens["token_type"] == "Bearer" and tokens["refresh_token"].startswith("lk_ref_")

        # The account's security page lists the app; signing it out there ends its tokens.
        page.goto("/account/security#apps")
        assert "Studio Desktop" in page.locator("#apps").inner_text()
        page.checks.page_ok("security-apps")
        page.get_by_role("button", name="Sign out this app: Studio Desktop").click()
        page.get_by_text("That app is signed out.").wait_for()
        assert "No app is signed in to your account." in page.locator("#apps").inner_text()
        status, refused = token_endpoint({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                          "client_id": CLIENT})
        assert status == 400 and refused["error"] == "invalid_grant", refused

        # The same code again: refused in the RFC 6749 shape.
        status, refused = token_endpoint({
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": loopback.redirect_uri,
            "code_verifier": kept["verifier"],
            "client_id": CLIENT,
        })
        assert status == 400 and refused["error"] == "invalid_grant", refused

        # Declined: the app hears `access_denied`, with its state.
        link, kept = authorization(loopback)
        page.goto(link)
        page.get_by_role("button", name="Cancel").click()
        page.wait_for_url(re.compile(re.escape(loopback.redirect_uri)))
        answer = loopback.query()
        assert answer == {"error": "access_denied", "state": kept["state"], "iss": BASE}, answer
    finally:
        loopback.close()


def test_a_link_that_does_not_work_says_so_in_words(page):
    loopback = Loopback()
    try:
        link, _ = authorization(loopback)
        page.goto(link.replace(CLIENT, "no-such-app"))
        page.get_by_role("heading", name="This sign-in link does not work").wait_for()
        assert "Go back to the app" in page.locator("main").inner_text()
        assert loopback.received == []
        page.checks.page_ok("oauth-bad-link")
    finally:
        loopback.close()


def post_form(path, form):
    request = urllib.request.Request(
        BASE + path,
        data=urllib.parse.urlencode(form).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_a_device_is_approved_by_its_code(page, clock):
    """A CLI without a browser shows a code; the person opens the link on
    their phone or laptop, signs in, checks who asks, and approves."""
    status, device = post_form("/oauth/device_authorization", {"client_id": "studio-cli", "scope": "openid email"})
    assert status == 200, device
    poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": device["device_code"],
            "client_id": "studio-cli"}
    assert post_form("/oauth/token", poll) == (400, {"error": "authorization_pending",
        "error_description": "the user has not approved the request yet; poll again after the interval"})

    email = unique_email("device")
    sign_up(page, email)
    page.goto(device["verification_uri_complete"].removeprefix(BASE))
    page.wait_for_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Connect a device").wait_for()
    code = page.get_by_label("Code from your device")
    assert code.input_value() == device["user_code"]
    page.checks.page_ok("device-code")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Sign in to Studio CLI on your device?").wait_for()
    assert "Approve only if you started this" in page.locator("main").inner_text()
    page.checks.page_ok("device-approve")
    page.get_by_role("button", name="Approve").click()
    page.get_by_role("heading", name="Your device is signed in").wait_for()
    page.checks.page_ok("device-approved")

    clock.advance(6)
    status, tokens = post_form("/oauth/token", poll)
    assert status == 200, tokens
    assert verified_id_token(tokens["id_token"], None, client="studio-cli")["email"] == email


def notes_tokens(loopback, kept, answer):
    """The Notes app exchanges the code the browser brought back."""
    status, tokens = token_endpoint({
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": loopback.redirect_uri,
        "code_verifier": kept["verifier"],
        "client_id": "notes-desktop",
    })
    assert status == 200, tokens
    return tokens


def test_a_full_license_frees_a_seat_on_the_page_and_the_app_comes_back_activated(page, api, mailbox):
    """The commonest license ticket, solved where it happens: the app asks
    for a seat on a new machine, every seat is taken, the person frees the
    old machine's seat on the page, approves, and the app gets its seat and
    an offline certificate in the token response."""
    email = unique_email("transfer")
    token, owned = verified_holder(page, mailbox, api, email, "notes-single")
    status, old = request("POST", BASE + "/v1/activations",
                          {"license_id": owned["id"], "fingerprint": "fp-old-desktop", "name": "Old desktop",
                           "platform": "Windows"},
                          {"authorization": f"Bearer {token}"})
    assert status == 201, old
    sign_in(page, email)
    page.wait_for_url(re.compile(r"/account$"))

    loopback = Loopback()
    try:
        seat = {"type": "license_activation", "fingerprint": "fp-new-laptop", "name": "New laptop", "platform": "Linux"}
        link, kept = authorization(loopback, client="notes-desktop", details=[seat])
        page.goto(link)
        page.get_by_role("heading", name="Before Notes can sign you in").wait_for()
        main = page.locator("main")
        assert "All 1 seats of your notes license are in use." in main.inner_text()
        assert "Old desktop" in main.inner_text()
        page.checks.page_ok("oauth-seats-full")
        page.get_by_role("button", name="Free this seat: Old desktop").click()

        # Back on the approval, the seat is there to take.
        page.get_by_role("heading", name="Sign in to Notes").wait_for()
        assert "Activate Notes on New laptop: seat 1 of 1." in page.locator("main").inner_text()
        page.get_by_role("button", name="Allow and continue").click()
        page.wait_for_url(re.compile(re.escape(loopback.redirect_uri)))
        answer = loopback.query()
        assert answer["state"] == kept["state"], answer

        tokens = notes_tokens(loopback, kept, answer)
        [granted] = tokens["authorization_details"]
        assert granted["type"] == "license_activation" and granted["license_id"] == owned["id"], granted
        with urllib.request.urlopen(BASE + "/.well-known/jwks.json") as response:
            jwks = jwt.PyJWKSet.from_dict(json.load(response))
        header = jwt.get_unverified_header(granted["certificate"])
        key = next(k for k in jwks.keys if k.key_id == header["kid"])
        certificate = jwt.decode(granted["certificate"], key=key, algorithms=[key.algorithm_name],
                                 audience="urn:latchkey:product:notes", issuer=BASE, leeway=3600)
        assert header["typ"] == "license+jwt" and certificate["jti"] == granted["activation_id"], certificate
    finally:
        loopback.close()

    # The old machine's seat is gone, and the new one holds it.
    status, mine = api.call("GET", "/v1/me/licenses", None, token)
    assert status == 200, mine
    [license] = [entry for entry in mine["licenses"] if entry["id"] == owned["id"]]
    assert [d["name"] for d in license["activations"]] == ["New laptop"], license


def test_with_two_licenses_the_person_chooses_which_one_the_machine_uses(page, api, mailbox):
    """Someone holding a team's license and one of their own: the app's seat
    goes on the one they choose, by label and keyboard alike."""
    email = unique_email("two-licenses")
    token, own = verified_holder(page, mailbox, api, email, "notes-single")
    code = api.issue("notes-team")["licenses"][0]["activation_code"]
    status, team = api.call("POST", "/v1/me/licenses/redeem", {"activation_code": code}, token)
    assert status == 201, team
    sign_in(page, email)
    page.wait_for_url(re.compile(r"/account$"))

    loopback = Loopback()
    try:
        seat = {"type": "license_activation", "fingerprint": "fp-home-laptop", "name": "Home laptop"}
        link, kept = authorization(loopback, client="notes-desktop", details=[seat])
        page.goto(link)
        page.get_by_role("heading", name="Sign in to Notes").wait_for()
        choice = page.get_by_role("group", name="Which license should Home laptop use?")
        # The newest license is chosen to start with; the person picks their own.
        assert choice.get_by_role("radio", name=re.compile(r"^notes-team, key ending \w{4}: seat 1 of 1$")).is_checked()
        mine = choice.get_by_role("radio", name=re.compile(r"^notes-single, key ending \w{4}: seat 1 of 1$"))
        mine.focus()
        page.keyboard.press("Space")
        assert mine.is_checked()
        page.checks.page_ok("oauth-choose-license")
        page.get_by_role("button", name="Allow and continue").click()
        page.wait_for_url(re.compile(re.escape(loopback.redirect_uri)))
        answer = loopback.query()
        tokens = notes_tokens(loopback, kept, answer)
        [granted] = tokens["authorization_details"]
        assert granted["license_id"] == own["id"] != team["id"], granted
    finally:
        loopback.close()
