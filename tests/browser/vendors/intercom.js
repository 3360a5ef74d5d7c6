// A stand-in for Intercom's Messenger loader (widget.intercom.io/widget/<app id>),
// served from another origin by the browser harness: it takes over the
// queue the page's snippet left, as Intercom's does, and records the calls.
(function () {
  const queued = (window.Intercom && window.Intercom.q) || [];
  const record = { calls: [] };
  window.fakeVendors = window.fakeVendors || {};
  window.fakeVendors.intercom = record;
  window.Intercom = function (command, settings) {
    record.calls.push(command);
    if (command === "boot") record.boot = settings;
    if (command === "show") record.open = true;
  };
  queued.forEach((args) => window.Intercom(...Array.from(args)));
})();
