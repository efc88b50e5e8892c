// A small SCORM 1.2 runtime: window.API for the package in the iframe; LMSCommit/LMSFinish
// POST the cmi values to the server (lesson status and raw score).
(function () {
  const frame = document.getElementById("scorm-frame");
  if (!frame) return;
  const commitUrl = frame.dataset.commit;
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const values = { "cmi.core.lesson_status": "not attempted" };
  let lastError = "0";
  function send() {
    return fetch(commitUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(values),
      credentials: "same-origin",
    }).then((r) => r.json()).then((data) => {
      const out = document.getElementById("scorm-status");
      if (out && data.lesson_status) out.textContent = data.lesson_status;
    });
  }
  window.API = {
    LMSInitialize: () => "true",
    LMSFinish: () => { send(); return "true"; },
    LMSGetValue: (key) => values[key] || "",
    LMSSetValue: (key, value) => { values[key] = String(value); return "true"; },
    LMSCommit: () => { send(); return "true"; },
    LMSGetLastError: () => lastError,
    LMSGetErrorString: () => "",
    LMSGetDiagnostic: () => "",
  };
})();
