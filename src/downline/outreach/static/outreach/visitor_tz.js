// The visitor's time zone (IANA name, e.g. "Europe/Berlin", as the browser reports it) in every
// hidden input[name=tz] of the page, so quiet hours and reminders use the visitor's clock.
// Without it (old browser, script blocked) the field stays empty and the company's zone applies.
// Loaded with "defer": it runs once the document is parsed, so the inputs exist.
(function () {
  "use strict";
  function fill() {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return;
    }
    if (!zone) {
      return;
    }
    document.querySelectorAll("input[name=tz]").forEach(function (input) {
      input.value = zone;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fill);
  } else {
    fill();
  }
})();
