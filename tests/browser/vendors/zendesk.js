// A stand-in for Zendesk's messaging snippet (static.zdassets.com/ekr/snippet.js),
// served from another origin by the browser harness: it records what the
// support page asks of `zE`, as Zendesk's would act on it. Zendesk calls the
// login callback again when the token has expired: `relogin()` does that.
(function () {
  const record = { snippetId: document.currentScript ? document.currentScript.id : null, calls: [], jwts: [] };
  window.fakeVendors = window.fakeVendors || {};
  window.fakeVendors.zendesk = record;
  window.zE = function (scope, command, callback, loginCallback) {
    record.calls.push([scope, command]);
    if (scope === "messenger" && command === "loginUser") {
      const askForToken = () =>
        callback((jwt) => {
          record.jwt = jwt;
          record.jwts.push(jwt);
          // Zendesk answers once it has checked the token.
          window.setTimeout(() => loginCallback && loginCallback(null), 50);
        });
      record.relogin = askForToken;
      askForToken();
    }
    if (scope === "messenger" && command === "open") record.open = true;
  };
})();
