"use strict";
// Sign-up: creates the account, keeps the first token for the account page to show once.

Telewall.onSubmit(document.getElementById("signup"), document.getElementById("signup-error"), async (form) => {
  const email = form.get("email").trim();
  const password = form.get("password");
  if (!email.includes("@")) throw new Error("Enter your email address.");
  if (password.length < 8) throw new Error("The password needs at least 8 characters.");
  const result = await Telewall.api("POST", "/api/v1/signup", { email, password });
  sessionStorage.setItem("telewall.newSecret", JSON.stringify({ kind: "token", value: result.token.value }));
  location.assign("/account");
});
