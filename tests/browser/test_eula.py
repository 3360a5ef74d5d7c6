"""/account/eula: the history of decisions, and accepting a newer version of
a licensed product's agreement in the user's language, or in another one
with a note saying so."""

import uuid

from conftest import sign_in, unique_email, verified_holder

EN_TEXT = "These terms govern your use of Notes.\n\nYou may install Notes on the devices your license allows."
ET_TEXT = "Need tingimused reguleerivad Notes'i kasutamist.\n\nVõite Notes'i paigaldada nii paljudele seadmetele, kui litsents lubab."




def test_a_newer_agreement_is_accepted_in_estonian_and_latvian_gets_a_note(page, mailbox, api, clock):
    email = unique_email("eula")
    token, _ = verified_holder(page, mailbox, api, email, "notes-team")

    run = uuid.uuid4().hex[:6]
    v1, v2, v3 = f"1-{run}", f"2-{run}", f"3-{run}"
    first = api.publish_eula("notes", v1, "Notes terms", "The first terms of Notes.")
    # Accepted v1 through the API, before v2 came out.
    decision = {"product": "notes", "version": v1, "sha256": first["sha256"], "decision": "accepted", "locale": "en"}
    status, answer = api.call("POST", "/v1/me/eula-acceptances", decision, token)
    assert status == 201, answer
    # The app's clock stands still; "newer" is by publication time.
    clock.advance(60)
    api.publish_eula("notes", v2, "Notes terms", EN_TEXT)
    api.publish_eula("notes", v2, "Notes'i tingimused", ET_TEXT, locale="et")

    sign_in(page, email)
    page.wait_for_url("**/account")
    page.goto("/account/eula?lang=et")
    assert page.locator("html").get_attribute("lang") == "et"
    page.get_by_role("heading", name="Notes'i tingimused").wait_for()
    assert "reguleerivad" in page.locator(".eula-text").inner_text()
    assert page.locator(".eula-note").count() == 0
    checkbox = page.get_by_role("checkbox")
    assert not checkbox.is_checked()
    # The history shows the earlier acceptance, and how that session signed in.
    history = page.locator("table").inner_text()
    assert v1 in history and "Nõustutud" in history
    page.checks.page_ok("eula-estonian")

    # Without the tick nothing is recorded, and the page says why.
    page.get_by_role("button", name="Nõustun lepinguga").click()
    page.get_by_text("Märkige ruut").wait_for()
    page.checks.page_ok("eula-not-ticked")
    status, records = api.call("GET", "/v1/me/eula-acceptances", None, token)
    assert [r["version"] for r in records["acceptances"]] == [v1]

    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Nõustun lepinguga").click()
    page.get_by_role("status").filter(has_text="Aitäh").wait_for()
    page.checks.page_ok("eula-accepted")
    assert page.get_by_role("checkbox").count() == 0
    status, records = api.call("GET", "/v1/me/eula-acceptances", None, token)
    newest = records["acceptances"][-1]
    assert (newest["version"], newest["locale"], newest["channel"], newest["decision"]) == (v2, "et", "web", "accepted")
    assert "pwd" in newest["amr"]
    assert newest["user_agent"]

    # A version with no Latvian text: the English one, with a note.
    clock.advance(60)
    api.publish_eula("notes", v3, "Notes terms", EN_TEXT + "\n\nVersion three.")
    page.goto("/account/eula?lang=lv")
    page.get_by_role("heading", name="Notes terms").wait_for()
    note = page.locator(".eula-note").inner_text()
    assert "English" in note and "valodā" in note
    assert page.locator(".eula-text").get_attribute("lang") == "en"
    page.checks.page_ok("eula-latvian-fallback")
