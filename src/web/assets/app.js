// Latchkey pages: small enhancements on forms that work without this file.
// Copy buttons, countdowns, and `postJson` for the passkey script.
"use strict";

window.latchkey = (function () {
  const csrf = () => {
    const field = document.querySelector('input[name="csrf"]');
    return field ? field.value : "";
  };

  async function postJson(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf(), accept: "application/json" },
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    return { ok: response.ok, status: response.status, data };
  }

  function say(regionId, text) {
    const region = document.getElementById(regionId);
    if (!region) return;
    region.textContent = "";
    const box = document.createElement("div");
    box.className = "alert";
    box.setAttribute("role", "alert");
    const p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    region.appendChild(box);
  }

  function setUpCopyButtons() {
    document.querySelectorAll("[data-copy]").forEach((button) => {
      button.classList.remove("hidden");
      button.addEventListener("click", async () => {
        const source = document.getElementById(button.dataset.copy);
        if (!source) return;
        try {
          await navigator.clipboard.writeText(source.textContent.trim());
          const done = button.dataset.copied;
          if (done) { const before = button.textContent; button.textContent = done; setTimeout(() => { button.textContent = before; }, 2000); }
        } catch (_) {
          const range = document.createRange(); range.selectNodeContents(source);
          const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
        }
      });
    });
  }

  // <span data-countdown="2026-11-29T12:00:00Z" data-expired="…">: mm:ss left, in the page's language.
  function setUpCountdowns() {
    document.querySelectorAll("[data-countdown]").forEach((element) => {
      const until = Date.parse(element.dataset.countdown);
      if (Number.isNaN(until)) return;
      const tick = () => {
        const left = Math.max(0, Math.round((until - Date.now()) / 1000));
        if (left === 0) {
          element.textContent = element.dataset.expired || "0:00";
          clearInterval(timer);
          return;
        }
        const minutes = Math.floor(left / 60), seconds = left % 60;
        element.textContent = minutes + ":" + String(seconds).padStart(2, "0");
      };
      const timer = setInterval(tick, 1000);
      tick();
    });
  }

  // Activation codes: upper-case and grouped as typed.
  function setUpCodeInputs() {
    document.querySelectorAll("input[data-code-format]").forEach((input) => {
      input.addEventListener("input", () => {
        const raw = input.value.toUpperCase().replace(/[^0-9A-Z]/g, "");
        const groups = raw.match(/.{1,4}/g) || [];
        const formatted = groups.join("-");
        if (formatted !== input.value) {
          input.value = formatted;
          input.setSelectionRange(formatted.length, formatted.length);
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpCopyButtons();
    setUpCountdowns();
    setUpCodeInputs();
  });

  return { postJson, say, csrf };
})();

// activate: an activation code's check symbol (Luhn mod 32 over Crockford
// base32, as src/domain/codes.rs), checked when the last symbol is typed,
// so a typo is caught before the form is sent; the server checks anyway.
(function () {
  "use strict";
  const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const SYMBOLS = 16;

  function value(c) {
    const forgiven = c === "I" || c === "L" ? "1" : c === "O" ? "0" : c;
    return ALPHABET.indexOf(forgiven);
  }

  function checkValue(values) {
    let sum = 0;
    values.slice().reverse().forEach((v, i) => {
      let addend = i % 2 === 0 ? v * 2 : v;
      addend = Math.floor(addend / 32) + (addend % 32);
      sum += addend;
    });
    return (32 - (sum % 32)) % 32;
  }

  // True for a complete code that is right, false for a complete one with a
  // typo, null while it is still being typed.
  function codeIsRight(text) {
    const symbols = text.toUpperCase().replace(/[-\s]/g, "").split("");
    if (symbols.length < SYMBOLS) return null;
    const values = symbols.map(value);
    if (symbols.length > SYMBOLS || values.some((v) => v < 0)) return false;
    const check = values.pop();
    return checkValue(values) === check;
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-code-format][data-typo]").forEach((input) => {
      const regionId = input.dataset.typoRegion;
      const judge = () => {
        const right = codeIsRight(input.value);
        const region = regionId ? document.getElementById(regionId) : null;
        if (right === false) {
          input.setAttribute("aria-invalid", "true");
          if (regionId) window.latchkey.say(regionId, input.dataset.typo);
        } else {
          input.removeAttribute("aria-invalid");
          if (region) region.textContent = "";
        }
      };
      input.addEventListener("input", judge);
      input.addEventListener("blur", judge);
    });
  });
})();

// support: the vendor's chat widget, signed in as this user. The support
// page (and only it) lists each widget integration with a token minted for
// this page view. Where the operator set a `widget_script`, we load it here
// and hand it the token the way its vendor documents:
//   zendesk_messaging: zE("messenger", "loginUser", callback => callback(jwt))
//   intercom:          Intercom("boot", {app_id, intercom_user_jwt})
// Any other widget reads the same list through
//   window.latchkey.helpWidget() → [{kind, audience, token, expiresAt, identifier, hash}]
// or the `latchkey:help-widget` event on `document` (after its script has
// loaded); a `latchkey:help-widget-open` event asks it to open. A chat
// outlives the page's token of a few minutes, so a vendor that asks again
// (Zendesk calls its login callback on expiry) gets a fresh one, as does
//   window.latchkey.renewHelpToken(audience) → Promise<{token, expires_at} | {identifier, hash}>
window.latchkey.helpWidget = function () {
  return Array.from(document.querySelectorAll("#help-widget [data-help-widget]")).map((element) => ({
    kind: element.dataset.kind,
    audience: element.dataset.audience,
    token: element.dataset.token || null,
    expiresAt: element.dataset.expires || null,
    identifier: element.dataset.identifier || null,
    hash: element.dataset.hash || null,
  }));
};
window.latchkey.renewHelpToken = function (audience) {
  return window.latchkey
    .postJson("/account/support/widget-token", { audience })
    .then((answer) => (answer.ok ? answer.data : Promise.reject(answer.status)));
};
(function () {
  const loadScript = (src, id) =>
    new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      if (id) script.id = id;
      script.addEventListener("load", resolve);
      script.addEventListener("error", reject);
      document.head.appendChild(script);
    });

  // How each vendor's widget is signed in and opened. Zendesk's login is
  // asynchronous: it says when it is done, and the chat opens after that
  // (or after a few seconds, should its answer never come).
  const vendors = {
    zendesk_messaging: {
      load: (widget) =>
        loadScript(widget.script, "ze-snippet").then(
          () =>
            new Promise((resolve) => {
              window.setTimeout(resolve, 5000);
              // The page's token first; a fresh one each time Zendesk asks again.
              let asked = 0;
              const jwt = (callback) => {
                asked += 1;
                if (asked === 1) return callback(widget.token);
                // Without a fresh token (signed out meanwhile), the chat must
                // not go on under the old identity.
                window.latchkey
                  .renewHelpToken(widget.audience)
                  .then((fresh) => callback(fresh.token), () => window.zE("messenger", "logoutUser"));
              };
              window.zE("messenger", "loginUser", jwt, () => resolve());
            })
        ),
      open: () => window.zE("messenger", "open"),
    },
    intercom: {
      load: (widget) => {
        // Intercom's own snippet: calls made before its script arrives wait in a queue.
        if (!window.Intercom) {
          const queued = function () {
            queued.c(arguments);
          };
          queued.q = [];
          queued.c = (args) => queued.q.push(args);
          window.Intercom = queued;
        }
        window.Intercom("boot", { app_id: widget.appId, intercom_user_jwt: widget.token });
        return loadScript(widget.script);
      },
      open: () => window.Intercom("show"),
    },
  };
  const generic = {
    load: (widget) => loadScript(widget.script),
    open: () => document.dispatchEvent(new CustomEvent("latchkey:help-widget-open")),
  };

  document.addEventListener("DOMContentLoaded", () => {
    const container = document.getElementById("help-widget");
    if (!container) return;
    // Every widget on the page has a script of the operator's choosing.
    const scripted = Array.from(container.querySelectorAll("[data-help-widget][data-script]")).map((element) => ({
      vendor: vendors[element.dataset.kind] || generic,
      audience: element.dataset.audience,
      script: element.dataset.script,
      appId: element.dataset.appId || null,
      token: element.dataset.token || null,
    }));
    const loaded = scripted.map((widget) => widget.vendor.load(widget).then(() => widget.vendor));
    Promise.allSettled(loaded).then((results) => {
      document.dispatchEvent(new CustomEvent("latchkey:help-widget", { detail: window.latchkey.helpWidget() }));
      // One chat opens, the first that loaded: two at once would cover each other.
      const first = results.find((r) => r.status === "fulfilled");
      if (!first) return;
      const button = document.querySelector("[data-open-chat]");
      if (button) {
        button.classList.remove("hidden");
        button.addEventListener("click", () => first.value.open());
      }
      if (container.hasAttribute("data-open")) first.value.open();
    });
  });
})();

// forms: a page that comes back with a field's error puts the focus on the
// first such field, so a screen reader reads its label and the error.
document.addEventListener("DOMContentLoaded", () => {
  const invalid = document.querySelector('main [aria-invalid="true"]');
  if (invalid) invalid.focus();
});

// oauth: the page that hands the user back to an app goes on by itself.
// Its link stays for browsers without scripts, and for a browser that asks
// before it opens an app.
document.addEventListener("DOMContentLoaded", () => {
  const onward = document.querySelector("a[data-continue]");
  if (onward) window.location.replace(onward.href);
});
