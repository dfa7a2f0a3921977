"use strict";
// The dashboard editor: list, create and edit dashboards, pick metrics from the tenant's tree, preview live,
// arrange widgets on the 12-column grid, share to a TV; playlists of dashboards.

const el = Telewall.el;
const $ = (id) => document.getElementById(id);
const sizes = { width: [3, 4, 6, 8, 12], height: [1, 2, 3, 4] };

const Editor = {
  id: null,
  /** The stored document (unknown fields are kept on save). */
  base: {},
  /** [{spec, w, h}] in display order. */
  widgets: [],
  /** The widget a picked metric goes to. */
  active: null,
  metricPath: [],
  preview: null,
  previewTimer: null,

  open(document) {
    Editor.id = document.id ?? null;
    Editor.base = { ...document };
    delete Editor.base.id;
    delete Editor.base.shared;
    $("dash-title").value = document.title || "";
    $("dash-refresh").value = document.refresh || 10;
    $("dash-from").value = document.from || "-1h";
    $("dash-tz").value = document.tz || "";
    Editor.widgets = (document.widgets || []).map((spec) => {
      const [w, h] = spec.position ? [spec.position.w, spec.position.h] : Wall.spans[spec.type] || [3, 1];
      return { spec: { ...spec }, w, h };
    });
    Editor.active = null;
    $("editor").hidden = false;
    $("editor-title").textContent = Editor.id ? `Dashboard: ${document.title}` : "New dashboard";
    $("share-result").hidden = true;
    $("unshare").hidden = !document.shared;
    $("delete").hidden = !Editor.id;
    $("editor-status").textContent = "";
    $("editor-error").textContent = "";
    Editor.renderWidgets();
    Editor.browse([]);
    Editor.schedulePreview();
    Lists.markCurrent();
  },

  /** The document as it would be saved: widgets placed on the grid in order, at their chosen sizes. */
  document() {
    const placed = Editor.pack(Editor.widgets);
    return {
      ...Editor.base,
      title: $("dash-title").value.trim(),
      refresh: Number($("dash-refresh").value) || 10,
      from: $("dash-from").value,
      tz: $("dash-tz").value.trim() || undefined,
      widgets: placed,
    };
  },

  /** First-fit packing on 12 columns, row by row: what "arrange" means in this editor. */
  pack(widgets) {
    const taken = new Set();
    const free = (x, y, w, h) => {
      for (let dy = 0; dy < h; dy++) for (let dx = 0; dx < w; dx++) if (taken.has(`${x + dx},${y + dy}`)) return false;
      return true;
    };
    return widgets.map(({ spec, w, h }) => {
      for (let y = 0; ; y++) {
        for (let x = 0; x + w <= 12; x++) {
          if (!free(x, y, w, h)) continue;
          for (let dy = 0; dy < h; dy++) for (let dx = 0; dx < w; dx++) taken.add(`${x + dx},${y + dy}`);
          return { ...spec, position: { x, y, w, h } };
        }
      }
    });
  },

  renderWidgets() {
    const list = $("widgets");
    list.replaceChildren(...Editor.widgets.map((item, n) => Editor.widgetEditor(item, n)));
    if (Editor.widgets.length === 0) list.append(el("li", { class: "aside", text: "No widgets yet: add one below." }));
  },

  widgetEditor(item, n) {
    const spec = item.spec;
    const changed = () => Editor.schedulePreview();
    const field = (label, name, input, full) => {
      input.name = name;
      input.addEventListener("input", changed);
      input.addEventListener("focus", () => { Editor.active = n; });
      return el("label", full ? { class: "full" } : {}, label, input);
    };
    const text = (name, value, attributes = {}) => {
      const input = el("input", { value: value ?? "", ...attributes });
      input.addEventListener("input", () => { spec[name] = input.value; });
      return input;
    };
    const number = (level) => {
      const input = el("input", { type: "number", step: "any", value: spec.thresholds?.[level] ?? "" });
      input.addEventListener("input", () => {
        const thresholds = { ...(spec.thresholds || {}) };
        if (input.value === "") delete thresholds[level]; else thresholds[level] = Number(input.value);
        spec.thresholds = thresholds;
        if (Object.keys(thresholds).length === 0) delete spec.thresholds;
      });
      return input;
    };
    const choice = (values, current, apply) => {
      const select = el("select", {}, ...values.map((v) => el("option", { value: String(v), text: String(v) })));
      select.value = String(current);
      select.addEventListener("change", () => { apply(Number(select.value)); changed(); });
      return select;
    };
    const fields = [field("Title", "title", text("title", spec.title, { maxlength: "200" }))];
    if (spec.type === "graph") {
      const area = el("textarea", { rows: "3", placeholder: "one target per line, e.g. stats.counters.users.new.rate" });
      area.value = (spec.targets || []).join("\n");
      area.addEventListener("input", () => { spec.targets = area.value.split("\n").map((t) => t.trim()).filter(Boolean); });
      fields.push(field("Targets (one per line)", "targets", area, true));
    }
    if (spec.type === "number") fields.push(field("Target", "target", text("target", spec.target, { placeholder: "stats.gauges.queue.depth" }), true));
    if (spec.type === "graph" || spec.type === "number") fields.push(field("Unit", "unit", text("unit", spec.unit, { maxlength: "16" })));
    if (spec.type === "number") fields.push(field("Warning at", "warning", number("warning")), field("Critical at", "critical", number("critical")));
    if (spec.type === "status") fields.push(field("Component", "component", text("component", spec.component, { placeholder: "db.primary" })));
    if (spec.type === "text") {
      const area = el("textarea", { rows: "2", maxlength: "2000" });
      area.value = spec.text || "";
      area.addEventListener("input", () => { spec.text = area.value; });
      fields.push(field("Text", "text", area, true));
    }
    fields.push(
      field("Width (of 12 columns)", "width", choice(sizes.width, item.w, (v) => { item.w = v; })),
      field("Height (rows)", "height", choice(sizes.height, item.h, (v) => { item.h = v; })));
    const move = (delta) => () => {
      const to = n + delta;
      if (to < 0 || to >= Editor.widgets.length) return;
      [Editor.widgets[n], Editor.widgets[to]] = [Editor.widgets[to], Editor.widgets[n]];
      Editor.renderWidgets();
      Editor.schedulePreview();
    };
    const remove = () => {
      Editor.widgets.splice(n, 1);
      Editor.active = null;
      Editor.renderWidgets();
      Editor.schedulePreview();
    };
    const head = el("div", { class: "head" },
      el("strong", { text: `${n + 1}. ${spec.type}` }),
      el("button", { type: "button", class: "quiet", text: "↑", "aria-label": `Move widget ${n + 1} up`, onclick: move(-1) }),
      el("button", { type: "button", class: "quiet", text: "↓", "aria-label": `Move widget ${n + 1} down`, onclick: move(1) }),
      el("button", { type: "button", class: "secondary", text: "Remove", "aria-label": `Remove widget ${n + 1}`, onclick: remove }));
    return el("li", { class: "widget-editor", "data-index": String(n) }, head, ...fields);
  },

  add(type) {
    const spec = { type };
    if (type === "graph") spec.targets = [];
    if (type === "text") spec.text = "";
    const [w, h] = Wall.spans[type];
    Editor.widgets.push({ spec, w, h });
    Editor.active = Editor.widgets.length - 1;
    Editor.renderWidgets();
    Editor.schedulePreview();
  },

  /** Puts a picked metric into the active widget (a new graph when there is none that takes targets). */
  pick(path) {
    let item = Editor.widgets[Editor.active];
    if (!item || !["graph", "number"].includes(item.spec.type)) {
      Editor.add("graph");
      item = Editor.widgets[Editor.active];
    }
    if (item.spec.type === "graph") item.spec.targets = [...(item.spec.targets || []), path];
    else item.spec.target = path;
    Editor.renderWidgets();
    Editor.schedulePreview();
  },

  async browse(path) {
    Editor.metricPath = path;
    const crumbs = [el("button", { type: "button", text: "(root)", onclick: () => Editor.browse([]) })];
    path.forEach((part, n) => crumbs.push(el("button", { type: "button", text: part, onclick: () => Editor.browse(path.slice(0, n + 1)) })));
    $("metrics-path").replaceChildren(...crumbs);
    const query = path.length ? `${path.join(".")}.*` : "*";
    try {
      const nodes = await Telewall.api("GET", `/metrics/find?query=${encodeURIComponent(query)}`);
      const items = nodes.map((node) => el("li", { class: node.leaf ? "leaf" : "branch" },
        el("button", {
          type: "button", text: node.leaf ? node.text : `${node.text}/`, title: node.id,
          onclick: () => (node.leaf ? Editor.pick(node.id) : Editor.browse(node.id.split("."))),
        })));
      $("metrics").replaceChildren(...(items.length ? items : [el("li", { class: "aside", text: "No metrics yet: send some through StatsD." })]));
    } catch (error) {
      $("editor-error").textContent = error.message;
    }
  },

  schedulePreview() {
    clearTimeout(Editor.previewTimer);
    Editor.previewTimer = setTimeout(Editor.refreshPreview, 300);
  },

  async refreshPreview() {
    if ($("editor").hidden) return;
    const document = Editor.document();
    if (!document.title) document.title = "Untitled";
    try {
      const points = Editor.preview.widestChart() || Math.ceil($("preview").clientWidth / 2);
      const data = await Telewall.api("POST", `/api/v1/dashboards/preview?points=${points}`, document);
      Editor.preview.show(Wall.decode(data));
      $("editor-error").textContent = "";
    } catch (error) {
      $("editor-error").textContent = error.message;
    }
  },

  async save() {
    const document = Editor.document();
    const saved = Editor.id
      ? await Telewall.api("PUT", `/api/v1/dashboards/${Editor.id}`, document)
      : await Telewall.api("POST", "/api/v1/dashboards", document);
    Editor.id = saved.id;
    $("editor-title").textContent = `Dashboard: ${saved.title}`;
    $("delete").hidden = false;
    $("editor-status").textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
    await Lists.refresh();
    return saved;
  },

  async share() {
    if (!Editor.id) await Editor.save();
    const shared = await Telewall.api("POST", `/api/v1/dashboards/${Editor.id}/share`);
    showShare($("share-result"), shared.url, "Anyone with this link sees this dashboard, read-only. Sharing again makes a new link and retires this one.");
    $("unshare").hidden = false;
    await Lists.refresh();
  },

  async unshare() {
    await Telewall.api("DELETE", `/api/v1/dashboards/${Editor.id}/share`);
    $("share-result").hidden = true;
    $("unshare").hidden = true;
    $("editor-status").textContent = "The TV link no longer works.";
    await Lists.refresh();
  },

  async remove() {
    if (!Editor.id || !confirm("Delete this dashboard? Its TV link stops working.")) return;
    await Telewall.api("DELETE", `/api/v1/dashboards/${Editor.id}`);
    $("editor").hidden = true;
    Editor.id = null;
    await Lists.refresh();
  },
};

/** Shows a TV link once, with a copy button: only its digest is stored. */
function showShare(node, url, note) {
  const absolute = location.origin + url;
  const status = el("span", { class: "status", role: "status" });
  const copy = el("button", {
    type: "button", class: "quiet", text: "Copy link",
    onclick: async () => {
      try { await navigator.clipboard.writeText(absolute); status.textContent = "Copied."; } catch { status.textContent = "Select the link and copy it."; }
    },
  });
  node.replaceChildren(
    el("code", { class: "share-url", text: absolute }), copy,
    el("a", { href: url, target: "_blank", rel: "noopener", text: "Open TV" }), status,
    el("p", { class: "aside", text: note }));
  node.hidden = false;
}

const Lists = {
  dashboards: [],

  async refresh() {
    const [dashboards, playlists] = await Promise.all([Telewall.api("GET", "/api/v1/dashboards"), Telewall.api("GET", "/api/v1/playlists")]);
    Lists.dashboards = dashboards.dashboards;
    $("dashboard-list").replaceChildren(...Lists.dashboards.map((d) => el("li", {},
      el("button", { type: "button", class: "open", "data-id": String(d.id), text: d.title, onclick: () => Lists.open(d.id) }),
      d.shared ? el("span", { class: "badge", text: "on TV" }) : "")));
    if (Lists.dashboards.length === 0) $("dashboard-list").append(el("li", { class: "aside", text: "None yet." }));
    $("playlist-dashboards").replaceChildren(...Lists.dashboards.map((d) => el("option", { value: String(d.id), text: d.title })));
    $("playlist-list").replaceChildren(...playlists.playlists.map((p) => el("li", {},
      el("span", { text: p.title }),
      el("button", { type: "button", class: "quiet", text: "Share", "aria-label": `Share playlist ${p.title}`, onclick: () => Lists.sharePlaylist(p.id) }),
      el("button", { type: "button", class: "secondary", text: "Delete", "aria-label": `Delete playlist ${p.title}`, onclick: () => Lists.deletePlaylist(p.id) }))));
    Lists.markCurrent();
  },

  markCurrent() {
    for (const button of document.querySelectorAll("#dashboard-list button.open")) {
      button.setAttribute("aria-current", String(Number(button.dataset.id) === Editor.id));
    }
  },

  async open(id) {
    Editor.open(await Telewall.api("GET", `/api/v1/dashboards/${id}`));
  },

  async sharePlaylist(id) {
    const shared = await Telewall.api("POST", `/api/v1/playlists/${id}/share`);
    showShare($("playlist-share"), shared.url, "This link rotates the playlist's dashboards.");
  },

  async deletePlaylist(id) {
    await Telewall.api("DELETE", `/api/v1/playlists/${id}`);
    await Lists.refresh();
  },
};

/** Runs a button's action, showing its error on the page. */
function action(id, handler) {
  $(id).addEventListener("click", async () => {
    try { await handler(); } catch (error) { $("editor-error").textContent = error.message; }
  });
}

document.addEventListener("DOMContentLoaded", async () => {
  Editor.preview = new Wall($("preview"));
  action("new-dashboard", () => Editor.open({ title: "", refresh: 10, from: "-1h", widgets: [] }));
  action("add-widget", () => Editor.add($("new-widget-type").value));
  action("share", () => Editor.share());
  action("unshare", () => Editor.unshare());
  action("delete", () => Editor.remove());
  for (const id of ["dash-title", "dash-refresh", "dash-from", "dash-tz"]) $(id).addEventListener("input", () => Editor.schedulePreview());
  $("time-zones").append(...[...new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])].map((zone) => new Option(zone)));
  Telewall.onSubmit($("dashboard-form"), $("editor-error"), () => Editor.save());
  Telewall.onSubmit($("new-playlist"), $("page-error"), async (form) => {
    const dashboards = [...$("playlist-dashboards").selectedOptions].map((o) => Number(o.value));
    await Telewall.api("POST", "/api/v1/playlists", { title: form.get("title").trim(), dwell: Number(form.get("dwell")), dashboards });
    $("new-playlist").reset();
    await Lists.refresh();
  });
  $("logout").addEventListener("click", async () => {
    await Telewall.api("DELETE", "/api/v1/session");
    location.assign("/");
  });
  setInterval(() => { if (!$("editor").hidden) Editor.refreshPreview(); }, 10000);
  try {
    const me = await Telewall.api("GET", "/api/v1/me");
    $("who").textContent = me.account.email;
    await Lists.refresh();
  } catch (error) {
    if (error.status === 401) return location.assign("/login");
    $("page-error").textContent = error.message;
  }
});
