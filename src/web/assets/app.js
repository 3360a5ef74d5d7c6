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

// links: the help widget hook. Our pages load no third-party script; an
// operator who adds a vendor's widget (Zendesk, Intercom…) to their own
// site's script reads the signed-in user's fresh identity tokens here:
//   window.latchkey.helpWidget() → [{kind, audience, token, expiresAt, identifier, hash}]
// `kind` is the integration's kind from the settings (`jwt`,
// `zendesk_messaging`, `intercom`, `hmac`); `token` is set for JWT kinds,
// `identifier` and `hash` for identity hashes. A `latchkey:help-widget`
// event on `document` carries the same list once the page has loaded.
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
document.addEventListener("DOMContentLoaded", () => {
  const widgets = window.latchkey.helpWidget();
  if (widgets.length > 0) {
    document.dispatchEvent(new CustomEvent("latchkey:help-widget", { detail: widgets }));
  }
});

// oauth: the page that hands the user back to an app goes on by itself.
// Its link stays for browsers without scripts, and for a browser that asks
// before it opens an app.
document.addEventListener("DOMContentLoaded", () => {
  const onward = document.querySelector("a[data-continue]");
  if (onward) window.location.replace(onward.href);
});
