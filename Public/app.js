"use strict";
// Shared helpers of the web UI: JSON calls to the API and DOM building that never parses HTML.

const Telewall = {
  /** Calls the JSON API; resolves to the parsed body, rejects with an Error carrying status and code. */
  async api(method, path, body) {
    const options = { method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || `HTTP ${response.status}`);
      error.status = response.status;
      error.code = data && data.error && data.error.code;
      throw error;
    }
    return data;
  },

  /** Creates an element with text content (never HTML) and children. */
  el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  },

  /** Wires a form to an async submit handler, disabling the button and showing errors in `errorNode`. */
  onSubmit(form, errorNode, handler) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      errorNode.textContent = "";
      button.disabled = true;
      try {
        await handler(new FormData(form));
      } catch (error) {
        errorNode.textContent = error.message;
      } finally {
        button.disabled = false;
      }
    });
  },

  formatTime(iso) {
    return iso ? new Date(iso).toLocaleString() : "never";
  },
};
