// A form with data-confirm="<question>" asks the question before it is sent; "Cancel" keeps it
// from being sent (contacts/detail.html: erasing a contact's personal data).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
