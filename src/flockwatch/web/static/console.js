// Console behaviour that is not HTMX attributes: the CSRF token on every HTMX request (read from the page, which
// the server rendered for this session). No inline script anywhere: the Content-Security-Policy forbids it.
"use strict";
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.body.dataset.csrf;
  if (token) {
    event.detail.headers["X-CSRF-Token"] = token;
  }
});
