"use strict";
// The account page: usage, ingest tokens and read keys; a new secret is shown once with client snippets.

const host = location.hostname || "localhost";

/** Ready-to-paste code for common StatsD clients, with the token as the metric prefix. */
const snippets = {
  Python: (t) => `# pip install statsd
import statsd

client = statsd.StatsClient("${host}", 8125, prefix="${t}")
client.incr("users.new")
client.timing("checkout.duration", 320)`,
  Ruby: (t) => `# gem install statsd-ruby
require "statsd"

statsd = Statsd.new("${host}", 8125)
statsd.namespace = "${t}"
statsd.increment "users.new"`,
  Node: (t) => `// npm install hot-shots
const StatsD = require("hot-shots");

const client = new StatsD({ host: "${host}", port: 8125, prefix: "${t}." });
client.increment("users.new");`,
  Go: (t) => `// go get github.com/cactus/go-statsd-client/v5/statsd
client, err := statsd.NewClientWithConfig(&statsd.ClientConfig{
\tAddress: "${host}:8125",
\tPrefix:  "${t}",
})
if err == nil {
\tclient.Inc("users.new", 1, 1.0)
}`,
  Java: (t) => `// com.timgroup:java-statsd-client
StatsDClient statsd = new NonBlockingStatsDClient("${t}", "${host}", 8125);
statsd.incrementCounter("users.new");`,
  Shell: (t) => `echo "${t}.users.new:1|c" | nc -u -w0 ${host} 8125`,
};

const errorNode = document.getElementById("account-error");

function showSecret(kind, value) {
  const panel = document.getElementById("new-secret");
  document.getElementById("new-secret-title").textContent = kind === "token" ? "Your new ingest token" : "Your new read key";
  document.getElementById("new-secret-value").textContent = value;
  document.getElementById("copy-status").textContent = "";
  const tabs = document.getElementById("snippet-tabs");
  const code = document.getElementById("snippet");
  tabs.replaceChildren();
  tabs.hidden = kind !== "token";
  code.parentElement.hidden = kind !== "token";
  if (kind === "token") {
    for (const name of Object.keys(snippets)) {
      const tab = Telewall.el("button", { type: "button", role: "tab", "aria-selected": "false", text: name, onclick: () => select(name) });
      tabs.append(tab);
    }
    const select = (name) => {
      for (const tab of tabs.children) tab.setAttribute("aria-selected", String(tab.textContent === name));
      code.textContent = snippets[name](value);
    };
    select("Python");
  }
  panel.hidden = false;
  panel.scrollIntoView({ block: "start" });
}

document.getElementById("copy-secret").addEventListener("click", async () => {
  const value = document.getElementById("new-secret-value").textContent;
  const status = document.getElementById("copy-status");
  try {
    await navigator.clipboard.writeText(value);
    status.textContent = "Copied.";
  } catch {
    const range = document.createRange();
    range.selectNodeContents(document.getElementById("new-secret-value"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    status.textContent = "Selected: press Ctrl+C to copy.";
  }
});

function renderList(kind, items) {
  const body = document.getElementById(kind === "token" ? "tokens" : "keys");
  body.replaceChildren();
  if (items.length === 0) {
    body.append(Telewall.el("tr", {}, Telewall.el("td", { colspan: "5", class: "empty", text: `No ${kind}s yet.` })));
    return;
  }
  for (const item of items) {
    const revoke = Telewall.el("button", {
      type: "button", class: "secondary", text: "Revoke", "aria-label": `Revoke ${kind} ${item.name}`,
      onclick: async () => {
        if (!confirm(`Revoke ${kind} "${item.name}"? Clients using it stop working within seconds.`)) return;
        try {
          await Telewall.api("DELETE", `/api/v1/${kind}s/${item.id}`);
          await refresh();
        } catch (error) { errorNode.textContent = error.message; }
      },
    });
    body.append(Telewall.el("tr", {},
      Telewall.el("td", { text: item.name }),
      Telewall.el("td", {}, Telewall.el("code", { text: item.prefix + "…" })),
      Telewall.el("td", { text: Telewall.formatTime(item.created_at) }),
      Telewall.el("td", { text: Telewall.formatTime(item.last_used_at) }),
      Telewall.el("td", {}, revoke)));
  }
}

function renderUsage(usage) {
  const list = document.getElementById("usage");
  list.replaceChildren();
  const figures = [["Metrics", usage.metrics], ["Lines received", usage.lines], ["Bad lines", usage.bad_lines], ["Dropped over quota", usage.dropped_over_quota]];
  for (const [label, value] of figures) {
    list.append(Telewall.el("div", {}, Telewall.el("dt", { text: label }), Telewall.el("dd", { text: String(value ?? 0) })));
  }
}

async function refresh() {
  const [me, tokens, keys] = await Promise.all([
    Telewall.api("GET", "/api/v1/me"), Telewall.api("GET", "/api/v1/tokens"), Telewall.api("GET", "/api/v1/keys"),
  ]);
  document.getElementById("who").textContent = me.account.email;
  renderUsage(me.usage);
  renderList("token", tokens.tokens);
  renderList("key", keys.keys);
}

for (const kind of ["token", "key"]) {
  const form = document.getElementById(`new-${kind}`);
  Telewall.onSubmit(form, errorNode, async (data) => {
    const issued = await Telewall.api("POST", `/api/v1/${kind}s`, { name: data.get("name").trim() });
    form.reset();
    showSecret(kind, issued.value);
    await refresh();
  });
}

document.getElementById("logout").addEventListener("click", async () => {
  await Telewall.api("DELETE", "/api/v1/session");
  location.assign("/");
});

(async () => {
  try {
    await refresh();
  } catch (error) {
    if (error.status === 401) return location.assign("/login");
    errorNode.textContent = error.message;
    return;
  }
  const pending = sessionStorage.getItem("telewall.newSecret");
  if (pending) {
    sessionStorage.removeItem("telewall.newSecret");
    const { kind, value } = JSON.parse(pending);
    showSecret(kind, value);
  }
})();
