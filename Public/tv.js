"use strict";
// The TV page: one shared dashboard (or a playlist of them), polled at the dashboard's refresh. When the server
// cannot be reached it keeps the last picture, marks it stale with the time of the last update, and recovers.

const TV = {
  key: decodeURIComponent(location.pathname.split("/").pop()),
  wall: null,
  index: 0,
  refreshSeconds: 10,
  lastUpdate: null,
  timer: null,
  rotation: null,
  dwell: null,
  /** Figures of the last refresh, read by tests and the benchmark. */
  stats: { refreshes: 0, failures: 0, fetchMs: 0, drawMs: 0 },

  start() {
    TV.wall = new Wall(document.getElementById("wall"));
    TV.refresh();
    setInterval(() => {
      const now = new Date();
      TV.wall.tick(now);
      TV.showUpdated();
    }, 1000);
    TV.shiftAgainstBurnIn();
  },

  /** Fetches and draws now; schedules the next refresh. Resolves when drawn (or failed). */
  async refresh() {
    clearTimeout(TV.timer);
    const points = Math.min(4000, TV.wall.widestChart() || Math.ceil(window.innerWidth / 2));
    const started = performance.now();
    try {
      const data = Wall.decode(await Telewall.api("GET", `/api/v1/tv/${encodeURIComponent(TV.key)}/data?index=${TV.index}&points=${points}`));
      const fetched = performance.now();
      TV.show(data);
      TV.stats.fetchMs = fetched - started;
      TV.stats.drawMs = performance.now() - fetched;
      TV.stats.refreshes += 1;
      performance.clearResourceTimings();
    } catch (error) {
      TV.stats.failures += 1;
      TV.markStale(error);
    }
    TV.timer = setTimeout(TV.refresh, TV.refreshSeconds * 1000);
  },

  show(data) {
    const dashboard = data.dashboard;
    TV.refreshSeconds = Math.max(1, Number(dashboard.refresh) || 10);
    document.getElementById("tv-title").textContent = dashboard.title || "Telewall";
    document.title = `${dashboard.title || "Dashboard"} — Telewall TV`;
    TV.wall.show(data);
    TV.lastUpdate = new Date();
    document.body.classList.remove("stale");
    document.getElementById("tv-stale").hidden = true;
    document.getElementById("tv-message").hidden = true;
    TV.showUpdated();
    TV.playlist(data.playlist);
  },

  markStale(error) {
    const message = document.getElementById("tv-message");
    if (error.status === 404 || !TV.lastUpdate) {
      message.textContent = error.status === 404 ? "This TV link is not shared any more." : "Waiting for the server…";
      message.hidden = false;
    }
    if (!TV.lastUpdate) return;
    document.body.classList.add("stale");
    document.getElementById("tv-stale").hidden = false;
    TV.showUpdated();
  },

  showUpdated() {
    if (!TV.lastUpdate) return;
    const time = Charts.timeOfDay(TV.lastUpdate);
    const stale = document.body.classList.contains("stale");
    document.getElementById("tv-updated").textContent = stale ? `last update ${time}` : `updated ${time}`;
  },

  /** A playlist moves to its next dashboard every `dwell` seconds. */
  playlist(info) {
    const label = document.getElementById("tv-playlist");
    if (!info) { label.textContent = ""; return; }
    label.textContent = `${info.title} · ${info.index + 1}/${info.count}`;
    if (TV.dwell === info.dwell && TV.rotation) return;
    TV.dwell = info.dwell;
    clearInterval(TV.rotation);
    TV.rotation = setInterval(() => {
      TV.index = (TV.index + 1) % Math.max(1, info.count);
      TV.refresh();
    }, Math.max(5, info.dwell) * 1000);
  },

  /** Moves the static parts by a few pixels every two minutes, so nothing stays on the same pixels for hours. */
  shiftAgainstBurnIn() {
    const offsets = [[0, 0], [3, 2], [-2, 3], [2, -2], [-3, -1]];
    let n = 0;
    setInterval(() => {
      n = (n + 1) % offsets.length;
      const [x, y] = offsets[n];
      for (const id of ["wall", "tv-bar"]) document.getElementById(id).style.transform = `translate(${x}px, ${y}px)`;
    }, 120000);
  },
};

document.addEventListener("DOMContentLoaded", TV.start);
