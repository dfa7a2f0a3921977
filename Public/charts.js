"use strict";
// Canvas charts of our own for the TV wall and the editor's preview: line graphs and sparklines.
// Series are {name, start, step, values} with values in a Float64Array; NaN (a JSON null) is a gap.

const Charts = {
  palette: ["#3ddc97", "#5aa9ff", "#ffb547", "#ff6b9a", "#b28dff", "#4fd6e8", "#f4e36b", "#ff8a5b"],
  /** The zone times are shown in: the dashboard's `tz` (set by the wall), or undefined for the screen's own. */
  timeZone: undefined,

  /** A series from the JSON API with its values packed into a Float64Array, nulls as NaN: compact, and the same
   * shape whatever the data, so memory stays flat refresh after refresh. */
  pack(series) {
    const values = new Float64Array(series.values.length);
    for (let i = 0; i < values.length; i++) values[i] = series.values[i] ?? NaN;
    return { name: series.name, start: series.start, step: series.step, values };
  },

  /** The last value (not NaN) of a series and its time, or null. */
  latest(series) {
    if (!series) return null;
    const values = series.values;
    for (let i = values.length - 1; i >= 0; i--) {
      if (values[i] === values[i]) return { value: values[i], time: series.start + i * series.step };
    }
    return null;
  },

  /** A number for a screen across the room: at most 4 significant digits, k/M/G for big ones. */
  format(value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "–";
    const magnitude = Math.abs(value);
    // Thousands only from 10,000 on: 9,999 still fits in four digits.
    for (const [from, unit, suffix] of [[1e12, 1e12, "T"], [1e9, 1e9, "G"], [1e6, 1e6, "M"], [1e4, 1e3, "k"]]) {
      if (magnitude >= from) return Charts.trim(value / unit) + suffix;
    }
    return Charts.trim(value);
  },

  trim(value) {
    const magnitude = Math.abs(value);
    if (magnitude > 0 && magnitude < 0.01) return String(Number(value.toPrecision(3)));
    const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
    return String(Number(value.toFixed(digits)));
  },

  /** Sizes a canvas's backing store to its box and the device's pixel ratio; returns the 2D context.
   * The box comes from `canvas.cssSize` when a ResizeObserver keeps it, so drawing forces no layout. */
  prepare(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const size = canvas.cssSize || { width: canvas.clientWidth, height: canvas.clientHeight };
    const width = Math.max(1, Math.round(size.width * ratio));
    const height = Math.max(1, Math.round(size.height * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const context = canvas.getContext("2d");
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, width, height);
    return { context, width, height, ratio };
  },

  /** The value range of several series, padded, never empty. */
  range(list) {
    let low = Infinity;
    let high = -Infinity;
    for (const series of list) {
      for (const v of series.values) {
        if (v !== v) continue;
        if (v < low) low = v;
        if (v > high) high = v;
      }
    }
    if (low === Infinity) return { low: 0, high: 1 };
    if (low > 0 && low < high * 0.5) low = 0;
    if (low === high) return { low: low - 1, high: high + 1 };
    const pad = (high - low) * 0.08;
    return { low: low >= 0 && low - pad < 0 ? 0 : low - pad, high: high + pad };
  },

  /** Draws one polyline per series in [left, right] x [top, bottom]; gaps where values are NaN. */
  lines(context, list, box, timeRange, valueRange, lineWidth) {
    const span = Math.max(1, timeRange.end - timeRange.start);
    const xOf = (t) => box.left + ((t - timeRange.start) / span) * (box.right - box.left);
    const yOf = (v) => box.bottom - ((v - valueRange.low) / (valueRange.high - valueRange.low)) * (box.bottom - box.top);
    context.lineWidth = lineWidth;
    list.forEach((series, n) => {
      const color = series.color || Charts.palette[n % Charts.palette.length];
      context.strokeStyle = color;
      context.fillStyle = color;
      const values = series.values;
      const isolated = [];
      context.beginPath();
      let run = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v !== v) {
          if (run === 1) isolated.push(i - 1);
          run = 0;
          continue;
        }
        const x = xOf(series.start + i * series.step);
        const y = yOf(v);
        if (run > 0) context.lineTo(x, y); else context.moveTo(x, y);
        run += 1;
      }
      if (run === 1) isolated.push(values.length - 1);
      context.stroke();
      // A point with no neighbour would draw nothing as a line: it gets a dot.
      for (const i of isolated) {
        context.beginPath();
        context.arc(xOf(series.start + i * series.step), yOf(values[i]), lineWidth * 1.5, 0, 2 * Math.PI);
        context.fill();
      }
    });
  },

  /** A line graph with horizontal grid lines, value labels, time labels and event markers. */
  graph(canvas, list, options = {}) {
    const prepared = Charts.prepare(canvas);
    if (!prepared) return;
    const { context, width, height, ratio } = prepared;
    const font = Math.max(10, Math.round(Math.min(width, height * 2) / 42)) * 1;
    context.font = `${font}px system-ui, sans-serif`;
    context.fillStyle = "#93a4b8";
    const valueRange = Charts.range(list);
    const timeRange = Charts.timeRange(list, options);
    const labelWidth = context.measureText(Charts.format(valueRange.high) + "  ").width + 4 * ratio;
    const box = { left: labelWidth, right: width - 4 * ratio, top: font, bottom: height - font * 1.8 };
    context.strokeStyle = "rgba(147, 164, 184, 0.18)";
    context.lineWidth = ratio;
    context.textBaseline = "middle";
    for (let i = 0; i <= 4; i++) {
      const v = valueRange.low + ((valueRange.high - valueRange.low) * i) / 4;
      const y = Math.round(box.bottom - ((box.bottom - box.top) * i) / 4) + 0.5;
      context.beginPath();
      context.moveTo(box.left, y);
      context.lineTo(box.right, y);
      context.stroke();
      context.fillText(Charts.format(v), 2 * ratio, y);
    }
    context.textBaseline = "top";
    const span = timeRange.end - timeRange.start;
    for (let i = 0; i <= 3; i++) {
      const t = timeRange.start + (span * i) / 3;
      const label = Charts.clockText(t, span);
      const x = box.left + ((box.right - box.left) * i) / 3;
      const w = context.measureText(label).width;
      context.fillText(label, Math.min(Math.max(box.left, x - w / 2), box.right - w), box.bottom + font * 0.5);
    }
    Charts.markers(context, options.events || [], box, timeRange, ratio);
    Charts.lines(context, list, box, timeRange, valueRange, Math.max(1.5, 2 * ratio));
  },

  /** A sparkline filling the canvas. */
  sparkline(canvas, series, color) {
    const prepared = Charts.prepare(canvas);
    if (!prepared || !series) return;
    const { context, width, height, ratio } = prepared;
    const list = [{ ...series, color }];
    const box = { left: 0, right: width, top: 2 * ratio, bottom: height - 2 * ratio };
    Charts.lines(context, list, box, Charts.timeRange(list, {}), Charts.range(list), Math.max(1.5, 2 * ratio));
  },

  /** Dashed vertical lines at events' times. */
  markers(context, events, box, timeRange, ratio) {
    const span = Math.max(1, timeRange.end - timeRange.start);
    context.save();
    context.strokeStyle = "rgba(255, 209, 102, 0.7)";
    context.setLineDash([4 * ratio, 4 * ratio]);
    context.lineWidth = ratio;
    for (const event of events) {
      if (event.when < timeRange.start || event.when > timeRange.end) continue;
      const x = Math.round(box.left + ((event.when - timeRange.start) / span) * (box.right - box.left)) + 0.5;
      context.beginPath();
      context.moveTo(x, box.top);
      context.lineTo(x, box.bottom);
      context.stroke();
    }
    context.restore();
  },

  timeRange(list, options) {
    let start = options.start ?? Infinity;
    let end = options.end ?? -Infinity;
    if (options.start === undefined) for (const s of list) start = Math.min(start, s.start);
    if (options.end === undefined) for (const s of list) end = Math.max(end, s.start + s.step * Math.max(0, s.values.length - 1));
    if (!Number.isFinite(start) || !Number.isFinite(end)) return { start: 0, end: 1 };
    return { start, end: Math.max(end, start + 1) };
  },

  /** A date's time of day to the second, in `Charts.timeZone`: the clock widget's and the last update's. */
  timeOfDay(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: Charts.timeZone });
  },

  /** An axis label: the time of day in `Charts.timeZone`, with the date when the range spans more than two days. */
  clockText(seconds, span) {
    const date = new Date(seconds * 1000);
    const timeZone = Charts.timeZone;
    const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone });
    if (span <= 2 * 86400) return time;
    const parts = new Intl.DateTimeFormat("en-US", { month: "numeric", day: "numeric", timeZone }).formatToParts(date);
    const part = (type) => parts.find((p) => p.type === type).value;
    return `${part("month")}/${part("day")} ${time}`;
  },
};
