"use strict";
// Lays a dashboard out on a 12-column grid and keeps its widgets up to date. Used by the TV page and by the
// editor's preview. DOM nodes and canvases are made once per document and reused on every refresh.

class Wall {
  /** Default sizes (columns x rows) of widgets without a `position`. */
  static spans = { graph: [6, 2], number: [3, 1], status: [3, 1], alerts: [3, 2], text: [3, 1], clock: [3, 1] };

  constructor(container) {
    this.container = container;
    this.signature = null;
    this.widgets = [];
    this.data = null;
    // Canvas sizes are kept as layout reports them, so a refresh reads no layout; a change redraws once.
    let pending = false;
    this.observer = new ResizeObserver((entries) => {
      for (const entry of entries) entry.target.cssSize = { width: entry.contentRect.width, height: entry.contentRect.height };
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; this.redraw(); });
    });
  }

  /** The widest chart in CSS pixels (0 before the first layout): about how many points a series needs. */
  widestChart() {
    let widest = 0;
    for (const canvas of this.container.querySelectorAll("canvas")) widest = Math.max(widest, canvas.cssSize ? canvas.cssSize.width : 0);
    return Math.ceil(widest);
  }

  /** Decodes an answer of the data API in place: values packed into Float64Arrays. Returns it. */
  static decode(data) {
    for (const entry of Object.values(data.series || {})) if (entry.series) entry.series = entry.series.map(Charts.pack);
    return data;
  }

  /** Shows a dashboard with its decoded data. */
  show(data) {
    Charts.timeZone = Wall.zoneOrLocal(data.dashboard.tz);
    const signature = JSON.stringify(data.dashboard.widgets || []);
    if (signature !== this.signature) {
      this.signature = signature;
      this.build(data.dashboard.widgets || []);
    }
    this.data = data;
    this.redraw();
  }

  /** Draws every widget from the last data, e.g. after the screen changed size. */
  redraw() {
    if (!this.data) return;
    for (const widget of this.widgets) widget.update(this.data);
  }

  /** A dashboard's `tz` when this browser knows the zone; otherwise undefined, the screen's own zone (an
   *  unknown zone must not blank the wall). */
  static zoneOrLocal(name) {
    if (!name) return undefined;
    try {
      new Intl.DateTimeFormat([], { timeZone: name });
      return name;
    } catch {
      return undefined;
    }
  }

  /** Ticks the clocks. */
  tick(now) {
    for (const widget of this.widgets) if (widget.tick) widget.tick(now);
  }

  build(widgets) {
    this.observer.disconnect();
    this.widgets = widgets.map((spec) => Wall.widget(spec));
    this.container.replaceChildren(...this.widgets.map((w) => w.node));
    for (const canvas of this.container.querySelectorAll("canvas")) this.observer.observe(canvas);
  }

  static widget(spec) {
    const el = Telewall.el;
    const node = el("section", { class: `widget widget-${spec.type}` });
    const [w, h] = Wall.spans[spec.type] || [3, 1];
    const p = spec.position;
    node.style.gridColumn = p ? `${p.x + 1} / span ${p.w}` : `span ${w}`;
    node.style.gridRow = p ? `${p.y + 1} / span ${p.h}` : `span ${h}`;
    const title = spec.title ?? (spec.type === "clock" ? "" : spec.type);
    if (title) node.append(el("h2", { class: "widget-title", text: title }));
    const body = el("div", { class: "widget-body" });
    node.append(body);
    const make = Wall.kinds[spec.type] || Wall.kinds.text;
    return { node, ...make(spec, body, node) };
  }

  /** The series a target returned, or its error. */
  static seriesOf(data, target) {
    const entry = data.series && data.series[target];
    return entry ? { list: entry.series || [], error: entry.error || null } : { list: [], error: null };
  }

  static level(value, thresholds) {
    if (!thresholds || value === null) return "ok";
    if (thresholds.critical !== undefined && value >= thresholds.critical) return "critical";
    if (thresholds.warning !== undefined && value >= thresholds.warning) return "warning";
    return "ok";
  }

  /** Sets text only when it changed: an unchanged refresh touches no layout. */
  static setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  static setLevel(node, level) {
    node.classList.toggle("level-warning", level === "warning");
    node.classList.toggle("level-critical", level === "critical");
  }
}

/** Each widget type: builds its body once, returns `update(data)` (and `tick(now)` for clocks). */
Wall.kinds = {
  graph(spec, body) {
    const el = Telewall.el;
    const canvas = el("canvas", { class: "graph", role: "img", "aria-label": spec.title || "graph" });
    const legend = el("ul", { class: "legend" });
    const error = el("p", { class: "widget-error" });
    body.append(canvas, legend, error);
    let rows = [];
    return {
      update(data) {
        const list = [];
        const errors = [];
        for (const target of spec.targets || []) {
          const found = Wall.seriesOf(data, target);
          list.push(...found.list);
          if (found.error) errors.push(found.error);
        }
        list.forEach((s, n) => { s.color = Charts.palette[n % Charts.palette.length]; });
        Wall.setText(error, errors.join("; "));
        if (rows.length !== list.length) {
          rows = list.map(() => {
            const swatch = el("span", { class: "swatch" });
            const name = el("span", { class: "name" });
            const value = el("span", { class: "value" });
            return { item: el("li", {}, swatch, name, value), swatch, name, value };
          });
          legend.replaceChildren(...rows.map((r) => r.item));
        }
        list.forEach((s, n) => {
          const row = rows[n];
          if (row.swatch.dataset.color !== s.color) {
            row.swatch.dataset.color = s.color;
            row.swatch.style.background = s.color;
          }
          Wall.setText(row.name, s.name);
          const last = Charts.latest(s);
          Wall.setText(row.value, Charts.format(last && last.value) + (spec.unit || ""));
        });
        const events = (data.events || []).map((e) => ({ when: e.when }));
        Charts.graph(canvas, list, { events });
      },
    };
  },

  number(spec, body, node) {
    const el = Telewall.el;
    const value = el("span", { class: "value" });
    const unit = el("span", { class: "unit", text: spec.unit || "" });
    const spark = el("canvas", { class: "spark", "aria-hidden": "true" });
    const error = el("p", { class: "widget-error" });
    body.append(el("div", { class: "big" }, value, unit), spark, error);
    return {
      update(data) {
        const found = Wall.seriesOf(data, spec.target);
        const series = found.list[0];
        const last = Charts.latest(series);
        Wall.setText(value, Charts.format(last && last.value));
        Wall.setText(error, found.error || (series ? "" : "no data"));
        const level = Wall.level(last && last.value, spec.thresholds);
        Wall.setLevel(node, level);
        const color = { ok: "#3ddc97", warning: "#ffb547", critical: "#ff5c5c" }[level];
        Charts.sparkline(spark, series, color);
      },
    };
  },

  status(spec, body, node) {
    const el = Telewall.el;
    const state = el("div", { class: "state" });
    const reason = el("div", { class: "reason" });
    body.append(state, reason);
    return {
      update(data) {
        const found = (data.status || []).find((s) => s.component === spec.component);
        Wall.setText(state, found ? found.state : "NO DATA");
        Wall.setText(reason, found ? found.reason || "" : spec.component);
        const ok = found && (found.state === "OK" || found.state === "ONLINE");
        Wall.setLevel(node, !found ? "ok" : ok ? "ok" : found.state === "WARNING" ? "warning" : "critical");
        node.classList.toggle("unknown", !found);
      },
    };
  },

  alerts(spec, body, node) {
    const list = Telewall.el("ul", { class: "alert-list" });
    body.append(list);
    return {
      update(data) {
        const active = (data.alerts || []).filter((a) => a.state && a.state !== "OK");
        if (active.length === 0) {
          list.replaceChildren(Telewall.el("li", { class: "none", text: "none" }));
        } else {
          list.replaceChildren(...active.map((a) => Telewall.el("li", { class: `alert-${String(a.state).toLowerCase()}`, text: `${a.state} ${a.name || ""}` })));
        }
        Wall.setLevel(node, active.some((a) => a.state === "CRITICAL") ? "critical" : active.length ? "warning" : "ok");
      },
    };
  },

  text(spec, body) {
    body.append(Telewall.el("p", { class: "text", text: spec.text || "" }));
    return { update() {} };
  },

  clock(spec, body) {
    const time = Telewall.el("div", { class: "time" });
    const date = Telewall.el("div", { class: "date" });
    body.append(time, date);
    const tick = (now) => {
      time.textContent = Charts.timeOfDay(now);
      date.textContent = now.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long", timeZone: Charts.timeZone });
    };
    tick(new Date());
    return { update() {}, tick };
  },
};
