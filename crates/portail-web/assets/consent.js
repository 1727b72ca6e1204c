// Progressive enhancement of the consent forms (banner, placeholders): submit them in the
// background and remove the banner without leaving the page. The forms work without it.
// This script stores nothing in the browser: the server sets the choice cookie itself.
(function () {
  "use strict";
  function submitInPlace(event) {
    var form = event.target;
    if (!form.hasAttribute("data-consent-form") || !window.fetch || !window.URLSearchParams) {
      return;
    }
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    if (event.submitter && event.submitter.name) {
      body.set(event.submitter.name, event.submitter.value);
    }
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("consent not recorded");
      }
      return response.json();
    }).then(function (state) {
      var banner = document.getElementById("consent-banner");
      if (banner) {
        banner.parentNode.removeChild(banner);
      }
      // Granted content needs the page's security policy to allow its origin: reload only when
      // a placeholder on this page was just granted.
      var placeholders = document.querySelectorAll(".placeholder[data-purpose]");
      for (var i = 0; i < placeholders.length; i++) {
        if (state.purposes[placeholders[i].getAttribute("data-purpose")]) {
          window.location.reload();
          return;
        }
      }
    }).catch(function () {
      form.submit();
    });
  }
  document.addEventListener("submit", submitInPlace);
})();
