// Small inline-SVG charts for the review page, drawn from plain arrays (no library): bars with a
// line on a second axis, a line over days, horizontal bars with side figures, and a sentiment line
// over time with markers. Colours come from CSS classes (see "Review" in warmline.css), so the
// charts follow the design tokens. `mountChart` redraws a chart whenever its box changes width,
// so text stays at its real size instead of being scaled with a viewBox.

const NS = "http://www.w3.org/2000/svg";

/** s("rect", { x: 1, class: "chart__bar" }, child…) */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const title = (text) => s("title", {}, text);

/** Draws `draw(width)` into `container` now and again whenever its width changes. */
export function mountChart(container, draw) {
  let last = -1;
  const render = () => {
    const w = Math.floor(container.clientWidth);
    if (w <= 0 || w === last) return;
    last = w;
    container.replaceChildren(draw(w));
  };
  const ro = new ResizeObserver(render);
  ro.observe(container);
  render();
  return () => ro.disconnect();
}

/** "Nice" upper bound and step for an axis from 0 to max with about `count` ticks. */
export function niceScale(max, count = 4, { integer = false, steps = null } = {}) {
  if (!(max > 0)) return { top: 1, step: 1 / count, ticks: [0, 1] };
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = steps?.find((x) => x >= raw) ?? [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.ceil(step));
  const top = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return { top, step, ticks };
}

function svgRoot(width, height, label) {
  return s("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
}

/** Every how-many x labels fit without overlapping. */
function labelEvery(n, band, minPx) {
  return Math.max(1, Math.ceil(minPx / Math.max(band, 1)));
}

/**
 * Bars (left axis) with a line (right axis, 0..lineMax).
 * items: [{ label, title, bar: number, line: number|null }]
 */
export function barLineChart(width, items, { height = 220, barName = "Handoffs", lineName = "Mean context score", lineMax = 100, lineFormat = (v) => String(Math.round(v)), label = "Chart" } = {}) {
  const pad = { top: 14, right: 40, bottom: 28, left: 40 };
  const svg = svgRoot(width, height, label);
  const iw = Math.max(10, width - pad.left - pad.right);
  const ih = height - pad.top - pad.bottom;
  const { top, ticks } = niceScale(Math.max(1, ...items.map((d) => d.bar || 0)), 4, { integer: true });
  const band = iw / Math.max(1, items.length);
  const bw = Math.min(36, band * 0.62);
  const y = (v) => pad.top + ih - (v / top) * ih;
  const y2 = (v) => pad.top + ih - (Math.max(0, Math.min(lineMax, v)) / lineMax) * ih;
  const xc = (i) => pad.left + band * i + band / 2;

  const grid = s("g", { class: "chart__grid" });
  for (const t of ticks) {
    grid.append(
      s("line", { x1: pad.left, x2: pad.left + iw, y1: y(t), y2: y(t) }),
      s("text", { class: "chart__tick", x: pad.left - 8, y: y(t) + 4, "text-anchor": "end" }, String(t)),
    );
  }
  for (const t of [0, 50, 100].filter((v) => v <= lineMax)) {
    grid.append(s("text", { class: "chart__tick chart__tick--line", x: pad.left + iw + 8, y: y2(t) + 4 }, lineFormat(t)));
  }
  svg.append(grid);

  const every = labelEvery(items.length, band, 54);
  const bars = s("g", {});
  items.forEach((d, i) => {
    const v = d.bar || 0;
    const h = Math.max(v > 0 ? 2 : 0, y(0) - y(v));
    bars.append(
      s("rect", { class: "chart__bar", x: xc(i) - bw / 2, y: y(0) - h, width: bw, height: h, rx: 3 },
        title(`${d.title ?? d.label}: ${v} ${barName.toLowerCase()}${d.line != null ? ` · ${lineName.toLowerCase()} ${lineFormat(d.line)}` : ""}`)),
    );
    if (i % every === 0) bars.append(s("text", { class: "chart__label", x: xc(i), y: height - 8, "text-anchor": "middle" }, d.label));
  });
  svg.append(bars);

  // The line, broken where a day has no value.
  const line = s("g", { class: "chart__series chart__series--line" });
  let path = "";
  items.forEach((d, i) => {
    if (d.line == null) return;
    const prev = items[i - 1];
    path += `${i > 0 && prev?.line != null ? "L" : "M"}${xc(i).toFixed(1)},${y2(d.line).toFixed(1)}`;
  });
  if (path) line.append(s("path", { class: "chart__line", d: path }));
  items.forEach((d, i) => {
    if (d.line == null) return;
    line.append(s("circle", { class: "chart__point", cx: xc(i), cy: y2(d.line), r: 3.5 }, title(`${d.title ?? d.label}: ${lineName.toLowerCase()} ${lineFormat(d.line)}`)));
  });
  svg.append(line);
  svg.append(s("line", { class: "chart__axis", x1: pad.left, x2: pad.left + iw, y1: y(0), y2: y(0) }));
  return svg;
}

/**
 * A line over categories (days), with a soft area under it; gaps where a value is missing.
 * items: [{ label, title, value: number|null }]
 */
export function lineChart(width, items, { height = 220, format = String, name = "Value", label = "Chart", steps = null } = {}) {
  const pad = { top: 14, right: 16, bottom: 28, left: 52 };
  const svg = svgRoot(width, height, label);
  const iw = Math.max(10, width - pad.left - pad.right);
  const ih = height - pad.top - pad.bottom;
  const values = items.map((d) => d.value).filter((v) => typeof v === "number");
  const { top, ticks } = niceScale(Math.max(1, ...values), 4, { steps });
  const band = iw / Math.max(1, items.length);
  const y = (v) => pad.top + ih - (v / top) * ih;
  const xc = (i) => pad.left + band * i + band / 2;

  const grid = s("g", { class: "chart__grid" });
  for (const t of ticks) {
    grid.append(
      s("line", { x1: pad.left, x2: pad.left + iw, y1: y(t), y2: y(t) }),
      s("text", { class: "chart__tick", x: pad.left - 8, y: y(t) + 4, "text-anchor": "end" }, t === 0 ? "0" : format(t)),
    );
  }
  svg.append(grid);

  // Runs of consecutive values become one area and one line each.
  const runs = [];
  let run = null;
  items.forEach((d, i) => {
    if (typeof d.value === "number") {
      if (!run) runs.push((run = []));
      run.push(i);
    } else run = null;
  });
  const g = s("g", { class: "chart__series" });
  for (const r of runs) {
    const pts = r.map((i) => `${xc(i).toFixed(1)},${y(items[i].value).toFixed(1)}`);
    if (r.length > 1) {
      g.append(s("path", { class: "chart__area", d: `M${xc(r[0]).toFixed(1)},${y(0)}L${pts.join("L")}L${xc(r.at(-1)).toFixed(1)},${y(0)}Z` }));
      g.append(s("path", { class: "chart__line chart__line--primary", d: `M${pts.join("L")}` }));
    }
  }
  items.forEach((d, i) => {
    if (typeof d.value !== "number") return;
    g.append(s("circle", { class: "chart__point chart__point--primary", cx: xc(i), cy: y(d.value), r: 3.5 }, title(`${d.title ?? d.label}: ${name.toLowerCase()} ${format(d.value)}`)));
  });
  svg.append(g);
  const every = labelEvery(items.length, band, 54);
  items.forEach((d, i) => {
    if (i % every === 0) svg.append(s("text", { class: "chart__label", x: xc(i), y: height - 8, "text-anchor": "middle" }, d.label));
  });
  svg.append(s("line", { class: "chart__axis", x1: pad.left, x2: pad.left + iw, y1: y(0), y2: y(0) }));
  return svg;
}

/**
 * Horizontal bars, one row per group, with up to two figures on the right.
 * rows: [{ label, value, valueText, figures: [{ text, cls, title }] }]
 */
export function hbarChart(width, rows, { rowHeight = 30, labelWidth = 150, figuresWidth = 170, columns = [], barName = "Handoffs", label = "Chart" } = {}) {
  const head = columns.length ? 22 : 4;
  const height = head + rows.length * rowHeight + 4;
  const svg = svgRoot(width, height, label);
  const figs = width > 520 ? figuresWidth : 0;
  const x0 = labelWidth + 8;
  const iw = Math.max(20, width - x0 - figs - 44);
  const max = Math.max(1, ...rows.map((r) => r.value || 0));
  const colW = figs / Math.max(1, columns.length || Math.max(0, ...rows.map((r) => (r.figures ?? []).length)));
  if (columns.length) svg.append(s("text", { class: "chart__colhead", x: x0, y: 12 }, barName));
  if (columns.length && figs) {
    columns.forEach((c, i) => svg.append(s("text", { class: "chart__colhead", x: width - figs + 8 + i * colW, y: 12 }, c)));
  }
  rows.forEach((r, i) => {
    const top = head + i * rowHeight;
    const mid = top + rowHeight / 2;
    const w = Math.max(r.value > 0 ? 2 : 0, (r.value / max) * iw);
    const text = truncate(r.label, Math.floor(labelWidth / 7));
    svg.append(
      s("text", { class: "chart__rowlabel", x: labelWidth, y: mid + 4, "text-anchor": "end" }, text, r.label !== text ? title(r.label) : null),
      s("rect", { class: "chart__track", x: x0, y: mid - 7, width: iw, height: 14, rx: 3 }),
      s("rect", { class: "chart__bar", x: x0, y: mid - 7, width: w, height: 14, rx: 3 }, title(`${r.label}: ${r.valueText ?? r.value}`)),
      s("text", { class: "chart__value", x: x0 + w + 6, y: mid + 4 }, r.valueText ?? String(r.value)),
    );
    if (figs) {
      (r.figures ?? []).forEach((f, j) => {
        svg.append(s("text", { class: `chart__figure ${f.cls ?? ""}`, x: width - figs + 8 + j * colW, y: mid + 4 }, f.text, f.title ? title(f.title) : null));
      });
    }
  });
  return svg;
}

/**
 * Customer sentiment (−1..1) over time, with vertical markers (escalation, agent joined, …).
 * points: [{ t: ms, score, label, text }]; markers: [{ t: ms, label, cls }]
 */
export function sentimentChart(width, points, markers, { height = 190, t0, t1, timeFormat = String, label = "Customer sentiment over time" } = {}) {
  const pad = { top: 26, right: 16, bottom: 26, left: 40 };
  const svg = svgRoot(width, height, label);
  const iw = Math.max(10, width - pad.left - pad.right);
  const ih = height - pad.top - pad.bottom;
  const times = [...points.map((p) => p.t), ...markers.map((m) => m.t)].filter(Number.isFinite);
  const a = t0 ?? Math.min(...times);
  const b = Math.max(t1 ?? Math.max(...times), a + 1000);
  const x = (t) => pad.left + ((t - a) / (b - a)) * iw;
  const y = (v) => pad.top + ((1 - Math.max(-1, Math.min(1, v))) / 2) * ih;

  svg.append(
    s("rect", { class: "chart__band chart__band--neg", x: pad.left, y: y(0), width: iw, height: y(-1) - y(0) }),
    s("rect", { class: "chart__band chart__band--pos", x: pad.left, y: y(1), width: iw, height: y(0) - y(1) }),
  );
  const grid = s("g", { class: "chart__grid" });
  for (const [v, text] of [[1, "+1"], [0.5, ""], [0, "0"], [-0.5, ""], [-1, "−1"]]) {
    grid.append(s("line", { class: v === 0 ? "chart__zero" : null, x1: pad.left, x2: pad.left + iw, y1: y(v), y2: y(v) }));
    if (text) grid.append(s("text", { class: "chart__tick", x: pad.left - 8, y: y(v) + 4, "text-anchor": "end" }, text));
  }
  svg.append(grid);

  // Markers, with their labels kept apart when they fall close together.
  let lastLabelEnd = -Infinity;
  let row = 0;
  for (const m of [...markers].sort((p, q) => p.t - q.t)) {
    const mx = x(m.t);
    const textW = m.label.length * 6.2;
    // Near the right edge the label goes to the left of its line.
    const flip = mx + 4 + textW > width - 2;
    const start = flip ? mx - 4 - textW : mx + 4;
    row = start < lastLabelEnd ? Math.min(row + 1, 1) : 0;
    svg.append(
      s("line", { class: `chart__marker ${m.cls ?? ""}`, x1: mx, x2: mx, y1: pad.top - 2, y2: pad.top + ih }),
      s("text", { class: `chart__marker-label ${m.cls ?? ""}`, x: flip ? mx - 4 : mx + 4, y: pad.top - 12 + row * 11, "text-anchor": flip ? "end" : "start" }, m.label, title(`${m.label} · ${timeFormat(m.t)}`)),
    );
    lastLabelEnd = start + textW;
  }

  const sorted = [...points].sort((p, q) => p.t - q.t);
  if (sorted.length > 1) {
    svg.append(s("path", { class: "chart__line chart__line--sentiment", d: `M${sorted.map((p) => `${x(p.t).toFixed(1)},${y(p.score).toFixed(1)}`).join("L")}` }));
  }
  for (const p of sorted) {
    svg.append(
      s("circle", { class: `chart__dot sentiment-dot--${p.label ?? "neutral"}`, cx: x(p.t), cy: y(p.score), r: 4.5 },
        title(`${timeFormat(p.t)} · ${p.label ?? ""} ${p.score > 0 ? "+" : ""}${p.score.toFixed(2)}${p.text ? `\n“${truncate(p.text, 90)}”` : ""}`)),
    );
  }
  // Time axis: start, middle, end.
  for (const [t, anchor] of [[a, "start"], [(a + b) / 2, "middle"], [b, "end"]]) {
    svg.append(s("text", { class: "chart__label", x: x(t), y: height - 8, "text-anchor": anchor }, timeFormat(t)));
  }
  return svg;
}

function truncate(text, n) {
  const str = String(text ?? "");
  return str.length > n ? `${str.slice(0, Math.max(1, n - 1))}…` : str;
}
