// Passkeys: WebAuthn ceremonies for the pages. Everything else on the pages
// works without this file; passkeys cannot.
//
// Buttons carry their endpoints:
//   [data-passkey-get=optionsUrl][data-answer=url]     sign in / confirm it is you
//   [data-passkey-create=optionsUrl][data-answer=url]  add a passkey (name from #data-name)
//   [data-autofill=optionsUrl]                         also offer passkeys in the email field's autofill
// The server answers {redirect} or {error: {what, next}} in the page's language.
"use strict";

(function () {
  const supported = typeof window.PublicKeyCredential === "function" && !!navigator.credentials;

  const fromB64u = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  };

  const toB64u = (buffer) => {
    if (!buffer) return null;
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  const withIds = (list) => (list || []).map((c) => Object.assign({}, c, { id: fromB64u(c.id) }));

  function requestOptions(publicKey) {
    const options = Object.assign({}, publicKey, { challenge: fromB64u(publicKey.challenge) });
    if (publicKey.allowCredentials) options.allowCredentials = withIds(publicKey.allowCredentials);
    return options;
  }

  function creationOptions(publicKey) {
    const options = Object.assign({}, publicKey, {
      challenge: fromB64u(publicKey.challenge),
      user: Object.assign({}, publicKey.user, { id: fromB64u(publicKey.user.id) }),
    });
    if (publicKey.excludeCredentials) options.excludeCredentials = withIds(publicKey.excludeCredentials);
    return options;
  }

  function assertionJson(credential) {
    const r = credential.response;
    return {
      id: credential.id,
      rawId: toB64u(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toB64u(r.authenticatorData),
        clientDataJSON: toB64u(r.clientDataJSON),
        signature: toB64u(r.signature),
        userHandle: toB64u(r.userHandle),
      },
      extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
  }

  function attestationJson(credential) {
    const r = credential.response;
    return {
      id: credential.id,
      rawId: toB64u(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toB64u(r.attestationObject),
        clientDataJSON: toB64u(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : undefined,
      },
      extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
  }

  const say = (text) => window.latchkey.say("passkey-status", text);

  function refusal(answer, button) {
    const error = answer.data && answer.data.error;
    say(error ? error.what + " " + error.next : button.dataset.failed);
  }

  // Ask for options; a refusal is said, a redirect (confirm it is you first) followed.
  async function options(url, button) {
    const answer = await window.latchkey.postJson(url, {});
    if (answer.data && answer.data.redirect) { window.location.assign(answer.data.redirect); return null; }
    if (!answer.ok || !answer.data || !answer.data.publicKey) { refusal(answer, button); return null; }
    return answer.data;
  }

  async function send(url, body, button) {
    const answer = await window.latchkey.postJson(url, body);
    // A success says where to go; so does a session that ended meanwhile (to sign in).
    if (answer.data && answer.data.redirect) { window.location.assign(answer.data.redirect); return true; }
    refusal(answer, button);
    return false;
  }

  // A conditional (autofill) request in progress, aborted when a button takes over.
  let autofill = null;

  // One ceremony behind a button: options from the server, the credential
  // from the browser (a cancel is said as such), the answer back.
  async function ceremony(button, optionsUrl, makeCredential, answerFields) {
    button.disabled = true;
    try {
      const offered = await options(optionsUrl, button);
      if (!offered) return;
      let credential;
      try {
        credential = await makeCredential(offered.publicKey);
      } catch (_) { say(button.dataset.cancelled); return; }
      const answer = Object.assign({ challenge_id: offered.challenge_id, next: button.dataset.next }, answerFields(credential));
      await send(button.dataset.answer, answer, button);
    } catch (_) {
      say(button.dataset.failed);
    } finally {
      button.disabled = false;
    }
  }

  function get(button) {
    if (autofill) { autofill.abort(); autofill = null; }
    return ceremony(button, button.dataset.passkeyGet,
      (publicKey) => navigator.credentials.get({ publicKey: requestOptions(publicKey) }),
      (credential) => ({ credential: assertionJson(credential) }));
  }

  function create(button) {
    return ceremony(button, button.dataset.passkeyCreate,
      (publicKey) => navigator.credentials.create({ publicKey: creationOptions(publicKey) }),
      (credential) => {
        const field = document.getElementById(button.dataset.name || "");
        const name = field && field.value.trim() ? field.value.trim() : null;
        return { credential: attestationJson(credential), name };
      });
  }

  // Passkey autofill: the browser lists passkeys under the email field
  // (autocomplete="username webauthn") while the page waits.
  async function startAutofill(button) {
    if (!window.PublicKeyCredential.isConditionalMediationAvailable) return;
    if (!(await window.PublicKeyCredential.isConditionalMediationAvailable())) return;
    if (!document.querySelector('input[autocomplete~="webauthn"]')) return;
    const answer = await window.latchkey.postJson(button.dataset.autofill, {});
    if (!answer.ok || !answer.data || !answer.data.publicKey) return;
    const controller = new AbortController();
    autofill = controller;
    document.body.dataset.passkeyAutofill = "waiting";
    let credential;
    try {
      credential = await navigator.credentials.get({
        mediation: "conditional",
        publicKey: requestOptions(answer.data.publicKey),
        signal: controller.signal,
      });
    } catch (_) {
      if (autofill === controller) document.body.dataset.passkeyAutofill = "stopped";
      return;
    }
    if (!credential) return;
    document.body.dataset.passkeyAutofill = "chosen";
    await send(button.dataset.answer, { challenge_id: answer.data.challenge_id, credential: assertionJson(credential), next: button.dataset.next }, button);
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!supported) return;
    document.querySelectorAll(".passkey-only").forEach((element) => element.classList.remove("hidden"));
    document.querySelectorAll(".passkey-missing").forEach((element) => element.classList.add("hidden"));
    document.querySelectorAll("[data-passkey-get]").forEach((button) => button.addEventListener("click", () => get(button)));
    document.querySelectorAll("[data-passkey-create]").forEach((button) => button.addEventListener("click", () => create(button)));
    const autofillButton = document.querySelector("[data-autofill]");
    if (autofillButton) startAutofill(autofillButton).catch(() => {});
  });
})();
