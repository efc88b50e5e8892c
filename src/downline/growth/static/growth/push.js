// "Turn on web push on this device" (growth/notification_settings.html).
// The button #push-enable carries the VAPID public key (data-key, base64url), the service
// worker's URL (data-sw) and the subscription endpoint (data-subscribe); the status line
// #push-status carries the three messages in the reader's language (data-ok, data-refused,
// data-denied). The subscription is posted as JSON with the page's CSRF token.
(function () {
  "use strict";
  function key(text) {
    var padding = "=".repeat((4 - (text.length % 4)) % 4);
    var raw = atob((text + padding).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) {
      return c.charCodeAt(0);
    });
  }
  function setUp() {
    var button = document.getElementById("push-enable");
    var status = document.getElementById("push-status");
    if (!button || !status) {
      return;
    }
    button.addEventListener("click", async function () {
      try {
        var registration = await navigator.serviceWorker.register(button.dataset.sw, { scope: "/" });
        var subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: key(button.dataset.key),
        });
        var csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
        var response = await fetch(button.dataset.subscribe, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify(subscription),
        });
        status.textContent = response.ok ? status.dataset.ok : status.dataset.refused;
      } catch (error) {
        status.textContent = status.dataset.denied;
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
