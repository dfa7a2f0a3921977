"use strict";
// Log-in: starts a session and goes to the account page.

Telewall.onSubmit(document.getElementById("login"), document.getElementById("login-error"), async (form) => {
  await Telewall.api("POST", "/api/v1/session", { email: form.get("email").trim(), password: form.get("password") });
  location.assign("/account");
});
