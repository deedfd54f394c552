// The flopscope serve page (docs/server.md, "The page"). It only translates, as the CLI does:
// every number shown is a field of a document the JSON API answered (POST /api/v1/<command>,
// the document `flopscope <command> --json` prints); the page computes no prediction of its
// own. Each view shows the equivalent command lines, and its state lives in the URL.
"use strict";

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(e.dataset, v); else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  e.append(...kids);
  return e;
};
const haveCharts = typeof window.uPlot === "function";
const uploads = new Map();  // "upload:u-..." -> the file's name, for the command line

// ---------------------------------------------------------------------------------------
// The JSON API and the command line it stands for

async function api(path, body) {
  const r = await fetch("/api/v1/" + path, body === undefined ? {} :
    {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  let doc;
  try { doc = await r.json(); } catch (e) { throw new Error(`${path}: ${r.status} ${r.statusText}`); }
  if (!r.ok) throw new Error(doc.error || r.statusText);
  return doc;
}

// One call: a command and its options; `positional` are written as arguments on the command
// line (MODEL), every other key as its flag: `micro_batch` is `--micro-batch`.
function call(command, options, positional = ["model"]) { return {command, options, positional}; }

const shellWord = (s) => /^[A-Za-z0-9_.,:/=+-]+$/.test(s) ? s : `'${String(s).replace(/'/g, "'\\''")}'`;

// A number as the command line takes it: 1e22, not 10000000000000000000000.
const cliNumber = (v) => typeof v === "number" && Math.abs(v) >= 1e7 ? v.toExponential().replace("e+", "e") : String(v);

function cliLine(c) {
  const words = ["flopscope", ...c.command.split("/")];
  const value = (k, v) => k === "model" && uploads.has(v) ? uploads.get(v) : cliNumber(v);
  for (const k of c.positional) if (k in c.options) words.push(shellWord(value(k, c.options[k])));
  for (const [k, v] of Object.entries(c.options)) {
    if (c.positional.includes(k) || v === false || v === "" || v === undefined) continue;
    words.push("--" + k.replace(/_/g, "-"));
    if (v !== true) words.push(shellWord(value(k, v)));
  }
  return words.join(" ") + " --json";
}

// ---------------------------------------------------------------------------------------
// Numbers as shown; every cell keeps the document's own value in data-value

const SI = [[1e24, "Y"], [1e21, "Z"], [1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
function show(x, unit = "") {
  if (x === null || x === undefined) return "—";
  if (typeof x !== "number") return String(x);
  const a = Math.abs(x);
  if (unit === "s") {
    if (a >= 86400 * 2) return (x / 86400).toFixed(1) + " days";
    if (a >= 3600 * 2) return (x / 3600).toFixed(1) + " h";
    return a >= 1 ? x.toFixed(3) + " s" : a >= 1e-3 ? (x * 1e3).toFixed(3) + " ms" : (x * 1e6).toFixed(1) + " µs";
  }
  if (unit === "B") return (x / 2 ** 30).toFixed(2) + " GiB";
  if (Number.isInteger(x) && a < 1e4 && unit !== "%" && unit !== "$") return String(x) + (unit ? " " + unit : "");
  if (unit === "%") return (x * 100).toFixed(2) + " %";
  if (unit === "$") return "$" + (a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toPrecision(3));
  for (const [f, p] of SI) if (a >= f) return (x / f).toPrecision(4) + " " + p + unit;
  return (a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toPrecision(3)) + (unit ? " " + unit : "");
}

// Axis ticks: up to three significant digits, SI prefixes, no trailing zeros.
function tickLabel(x) {
  const a = Math.abs(x);
  for (const [f, p] of SI) if (a >= f) return parseFloat((x / f).toPrecision(3)) + " " + p;
  return String(parseFloat(x.toPrecision(3)));
}

// Point names that would overlap one already written are left out (the tables have them all).
function labelPlacer() {
  const placed = [];
  return (x, y, w) => {
    if (placed.some(([px, py, pw]) => Math.abs(py - y) < 12 && x < px + pw && px < x + w)) return false;
    placed.push([x, y, w]);
    return true;
  };
}

function cell(value, unit, key) {
  const td = el("td", {text: show(value, unit)});
  td.dataset.value = JSON.stringify(value === undefined ? null : value);
  if (key) td.dataset.key = key;
  return td;
}

// A two-column table of a document's fields: rows [[key, unit, label?], ...] (missing skipped).
function fieldTable(id, doc, rows) {
  return el("table", {id}, ...rows.filter(([k]) => k in doc).map(([k, u, label]) =>
    el("tr", {id: `${id}-${k}`}, el("th", {text: label || k}), cell(doc[k], u, k))));
}

// A table of records: cols [[key, unit, header], ...]; key may be a function of the record.
function recordTable(id, records, cols, rowAttrs = () => ({})) {
  const head = el("tr", {}, ...cols.map(([, , h]) => el("th", {text: h})));
  return el("table", {id}, head, ...records.map((r, i) => el("tr", rowAttrs(r, i),
    ...cols.map(([k, u]) => typeof k === "function" ? cell(k(r), u) : cell(r[k], u, k)))));
}

// ---------------------------------------------------------------------------------------
// Charts: uPlot when it is embedded, else a plain SVG of the same series. A chart is
// {title, x: {label, log}, y: {label, log}, series: [{label, color, points: [[x, y, name]],
// line, dots}]}; the page plots the documents' numbers as they are.

const COLORS = ["#3b6fd4", "#d4553b", "#2f9e6e", "#9b59b6", "#c79a00", "#1b1f24", "#e67e22"];

function chart(spec, width = 560, height = 360) {
  const box = el("div", {class: "chart", "data-title": spec.title});
  box.append(el("h3", {text: spec.title}));
  const series = spec.series.filter((s) => s.points.some(([x, y]) => valid(spec, x, y)));
  if (!series.length) { box.append(el("p", {class: "note", text: "nothing to plot"})); return box; }
  if (haveCharts) uplotChart(box, spec, series, width, height); else svgChart(box, spec, series, width, height);
  return box;
}

const valid = (spec, x, y) => Number.isFinite(x) && Number.isFinite(y) && (!spec.x.log || x > 0) && (!spec.y.log || y > 0);

function uplotChart(box, spec, series, width, height) {
  const tick = (u, splits) => splits.map((v) => v == null ? "" : tickLabel(v));
  const data = [null, ...series.map((s) => {
    const pts = s.points.filter(([x, y]) => valid(spec, x, y));
    return [pts.map((p) => p[0]), pts.map((p) => p[1])];
  })];
  const opts = {
    mode: 2, width, height,
    scales: {x: {time: false, distr: spec.x.log ? 3 : 1}, y: {distr: spec.y.log ? 3 : 1}},
    axes: [{label: spec.x.label, values: tick}, {label: spec.y.label, values: tick, size: 70}],
    legend: {show: true},
    cursor: {drag: {x: false, y: false}},
    series: [{}, ...series.map((s, i) => ({
      label: s.label,
      stroke: s.color || COLORS[i % COLORS.length],
      width: s.line ? 2 : 0,
      dash: s.dash,
      paths: s.line ? undefined : () => null,
      // Every point (in mode 2 uPlot's default point filter draws none).
      points: {show: s.dots !== false, size: s.line ? 5 : 8, space: 0, fill: s.color || COLORS[i % COLORS.length],
        filter: (u, si, show) => show ? u.data[si][0].map((_, k) => k) : null},
    }))],
    hooks: {draw: [(u) => {
      const ctx = u.ctx;
      ctx.save();
      ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
      ctx.fillStyle = "#1b1f24";
      ctx.textAlign = "left";
      ctx.textBaseline = "alphabetic";
      const place = labelPlacer();
      for (const s of series) for (const [x, y, name] of s.points) {
        if (!name || !valid(spec, x, y)) continue;
        const px = u.valToPos(x, "x", true) + 6, py = u.valToPos(y, "y", true) - 6;
        if (place(px / devicePixelRatio, py / devicePixelRatio, ctx.measureText(name).width / devicePixelRatio)) ctx.fillText(name, px, py);
      }
      ctx.restore();
    }]},
  };
  box.dataset.renderer = "uplot";
  new window.uPlot(opts, data, box);
}

function svgChart(box, spec, series, width, height) {
  const pad = {l: 70, r: 20, t: 10, b: 40};
  const all = series.flatMap((s) => s.points.filter(([x, y]) => valid(spec, x, y)));
  const axis = (vals, log) => {
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (log) { lo = Math.floor(Math.log10(lo)); hi = Math.ceil(Math.log10(hi)); if (hi === lo) hi += 1; }
    else { if (hi === lo) { hi += Math.abs(hi) || 1; lo -= Math.abs(lo) || 1; } }
    return {lo, hi, log, map: (v) => ((log ? Math.log10(v) : v) - lo) / (hi - lo)};
  };
  const ax = axis(all.map((p) => p[0]), spec.x.log), ay = axis(all.map((p) => p[1]), spec.y.log);
  const X = (v) => pad.l + ax.map(v) * (width - pad.l - pad.r);
  const Y = (v) => height - pad.b - ay.map(v) * (height - pad.t - pad.b);
  const ticks = (a) => a.log ? Array.from({length: a.hi - a.lo + 1}, (_, i) => 10 ** (a.lo + i))
    : Array.from({length: 5}, (_, i) => a.lo + (a.hi - a.lo) * i / 4);
  const esc = (s) => String(s).replace(/[<&>]/g, "");
  let svg = "";
  for (const t of ticks(ax)) svg += `<line class="grid" x1="${X(t)}" x2="${X(t)}" y1="${pad.t}" y2="${height - pad.b}"/>` +
    `<text x="${X(t) - 12}" y="${height - pad.b + 14}">${tickLabel(t)}</text>`;
  for (const t of ticks(ay)) svg += `<line class="grid" x1="${pad.l}" x2="${width - pad.r}" y1="${Y(t)}" y2="${Y(t)}"/>` +
    `<text x="4" y="${Y(t) + 4}">${tickLabel(t)}</text>`;
  svg += `<text x="${width / 2 - 60}" y="${height - 6}">${esc(spec.x.label)}</text>`;
  const place = labelPlacer();
  series.forEach((s, i) => {
    const c = s.color || COLORS[i % COLORS.length];
    const pts = s.points.filter(([x, y]) => valid(spec, x, y));
    if (s.line) svg += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([x, y]) => `${X(x)},${Y(y)}`).join(" ")}"/>`;
    if (s.dots !== false) for (const [x, y, name] of pts) {
      svg += `<circle cx="${X(x)}" cy="${Y(y)}" r="${s.line ? 2.5 : 4}" fill="${c}"/>`;
      if (name && place(X(x) + 6, Y(y) - 6, 6 * String(name).length)) svg += `<text x="${X(x) + 6}" y="${Y(y) - 6}">${esc(name)}</text>`;
    }
  });
  const legend = series.map((s, i) => `<tspan fill="${s.color || COLORS[i % COLORS.length]}">■ </tspan>${esc(s.label)}  `).join("");
  box.dataset.renderer = "svg";
  box.insertAdjacentHTML("beforeend", `<svg width="${width}" height="${height + 18}"><text x="${pad.l}" y="${height + 14}">${legend}</text>${svg}</svg>` +
    `<p class="note">${esc(spec.y.label)} (plain SVG: the chart library is not installed; scripts/web-deps.sh)</p>`);
}

// Horizontal bars with names (the op breakdown): SVG either way, labels stay readable.
function bars(title, rows, unit) {
  const max = Math.max(...rows.map((r) => r.value), 1e-30);
  const h = 20, w = 760, left = 280, span = w - left - 100;
  const esc = (s) => String(s).replace(/[<&>]/g, "");
  const body = rows.map((r, i) => `<text x="0" y="${i * h + 14}">${esc(r.name)}</text>` +
    `<rect class="bar" x="${left}" y="${i * h + 3}" height="${h - 6}" width="${span * r.value / max}"></rect>` +
    `<text x="${left + 6 + span * r.value / max}" y="${i * h + 14}">${show(r.value, unit)}</text>`).join("");
  const box = el("div", {class: "chart", "data-title": title});
  box.append(el("h3", {text: title}));
  box.insertAdjacentHTML("beforeend", `<svg width="${w}" height="${rows.length * h}">${body}</svg>`);
  return box;
}

// ---------------------------------------------------------------------------------------
// Views: which form fields they read, the calls they make, and what they draw

const int = (id) => parseInt($(id).value, 10);
const num = (id) => Number($(id).value);

function predictCall(v, top) {
  const o = {model: v.model};
  const n = int("tokens"), b = int("batch");
  if (v.mode === "decode") Object.assign(o, {batch: b, context: n});
  else if (v.mode === "prefill") Object.assign(o, {batch: b, prompt: n});
  else Object.assign(o, {micro_batch: b, seq: n});
  Object.assign(o, {hardware: v.hardware, dtype: v.dtype});
  if (top) o.top = top;
  return call("predict/" + v.mode, o);
}

const PREDICT_ROWS = [["seconds", "s", "time"], ["seconds_per_step", "s", "time per step"],
  ["tokens_per_second", "", "tokens/s"], ["mfu", "%", "MFU"], ["flops_model", "FLOP", "model FLOPs"],
  ["bytes_moved", "B", "bytes moved"], ["bytes_peak_memory_with_runtime", "B", "memory (with runtime)"],
  ["fits", "", "fits on the device"], ["seconds_compute_bound_ops", "s", "compute-bound ops"],
  ["seconds_memory_bound_ops", "s", "memory-bound ops"], ["seconds_overhead_bound_ops", "s", "overhead-bound ops"]];

const VIEWS = {
  report: {
    fields: ["model", "hardware", "dtype", "mode", "batch", "tokens"],
    calls: (v) => [predictCall(v)],
    render: ([doc]) => [fieldTable("summary", doc, PREDICT_ROWS),
      bars("Where the time goes (top ops)", (doc.top_ops || []).map((o) => ({name: `${o.name} ×${o.count}`, value: o.seconds})), "s"),
      recordTable("ops", doc.top_ops || [], [["name", "", "op"], ["kind", "", "kind"], ["count", "", "×"],
        ["seconds", "s", "time"], ["bound", "", "bound"]])],
  },
  roofline: {
    fields: ["model", "hardware", "dtype", "mode", "batch", "tokens"],
    calls: (v) => [predictCall(v, 20)],
    render: ([doc]) => {
      const roof = doc.roofline || {};
      const ops = (doc.top_ops || []).filter((o) => o.intensity && o.flops_per_second);
      const xs = ops.map((o) => o.intensity).concat(roof.intensity_ridge || []);
      // The two roofs drawn through the document's three numbers: bandwidth x intensity up to
      // the ridge, the peak after it.
      const lo = Math.min(...xs) / 4, hi = Math.max(...xs) * 4;
      const roofs = roof.intensity_ridge ? [[lo, lo * roof.bytes_per_second_memory],
        [roof.intensity_ridge, roof.flops_per_second_peak], [hi, roof.flops_per_second_peak]] : [];
      // Names on the chart for the six longest ops (the table has them all).
      const byBound = (b) => ops.map((o, i) => [o, i]).filter(([o]) => o.bound === b)
        .map(([o, i]) => [o.intensity, o.flops_per_second, i < 6 ? o.name : ""]);
      return [
        fieldTable("roofs", roof, [["flops_per_second_peak", "FLOP/s", `${doc.dtype} peak`],
          ["bytes_per_second_memory", "B/s", "memory bandwidth"], ["intensity_ridge", "FLOP/B", "ridge intensity"]]),
        chart({title: `Roofline: ${doc.model} ${doc.phase} on ${doc.hardware} (top ${ops.length} ops)`,
          x: {label: "arithmetic intensity, FLOP/byte", log: true}, y: {label: "achieved FLOP/s", log: true},
          series: [{label: "roofs", color: "#888", line: true, dots: false, points: roofs},
            {label: "compute-bound", color: COLORS[1], points: byBound("compute")},
            {label: "memory-bound", color: COLORS[0], points: byBound("memory")},
            {label: "overhead-bound", color: COLORS[3], points: byBound("overhead")}]}, 760, 440),
        recordTable("roofline-ops", ops, [["name", "", "op"], ["intensity", "FLOP/B", "intensity"],
          ["flops_per_second", "FLOP/s", "achieved"], ["bound", "", "bound"]])];
    },
  },
  envs: {
    fields: ["model", "hardware", "work", "train_tokens", "requests", "serve_batch", "env_prompt", "env_output", "objective", "to"],
    calls: (v) => {
      const w = v.work === "train" ? {mode: "train", tokens: Number(v.train_tokens)}
        : {mode: "infer", requests: int("requests"), batch: int("serve_batch"), prompt: int("env_prompt"), output: int("env_output")};
      const c = [call("rank", {model: v.model, ...w, objective: v.objective})];
      if (v.to && v.to !== v.hardware) c.push(call("transition", {model: v.model, ...w, from: v.hardware, to: v.to}));
      return c;
    },
    render: ([rank, tr]) => {
      const envs = (rank.environments || []).filter((e) => e.ranked);
      const pt = (e) => [e.seconds, e.usd, e.env];
      const front = envs.filter((e) => e.pareto).sort((a, b) => a.seconds - b.seconds);
      const series = [{label: "Pareto front", color: COLORS[1], line: true, points: front.map(pt)},
        {label: "environments", color: COLORS[0], points: envs.filter((e) => !e.pareto).map(pt)}];
      const out = [];
      if (tr) {
        series.push({label: `move ${tr.from.env} → ${tr.to.env}`, color: COLORS[2], line: true, dash: [6, 4],
          points: [[tr.from.seconds, tr.from.usd, tr.from.env], [tr.to.seconds, tr.to.usd, tr.to.env]]});
        out.push(fieldTable("transition", tr, [["speedup", "", `speedup ${tr.from.env} → ${tr.to.env}`],
          ["cost_ratio", "", "cost ratio (after / before)"], ["energy_ratio", "", "energy ratio"],
          ["transition_score", "", "transition score"]]));
      }
      out.push(chart({title: `Time vs cost: ${rank.model}, ${show(rank.work)} ${rank.work_unit}`,
        x: {label: "time, s", log: true}, y: {label: "cost, USD", log: true}, series}, 760, 440));
      out.push(recordTable("environments", rank.environments || [], [["rank", "", "rank"], ["env", "", "environment"],
        ["devices", "", "devices"], ["seconds", "s", "time"], ["usd", "$", "cost"], ["pareto", "", "Pareto"],
        ["reason", "", "left out"]], (e) => ({class: e.pareto ? "pareto" : ""})));
      return out;
    },
  },
  optimal: {
    fields: ["flops", "law", "curve"],
    calls: (v) => {
      // The curve: the same command at budgets a decade apart around the chosen one.
      const c = Number(v.flops);
      const budgets = [-4, -3, -2, -1, 0, 1, 2].map((k) => Number((c * 10 ** k).toPrecision(6)));
      return budgets.map((b) => call("optimal", v.law ? {flops: b, law: v.law} : {flops: b}, []));
    },
    cli: (calls) => `for c in ${calls.map((c) => cliNumber(c.options.flops)).join(" ")}; do\n  ` +
      cliLine(call("optimal", {...calls[0].options, flops: "C"}, [])).replace("--flops C", "--flops $c") + "\ndone",
    render: (docs, v) => {
      const here = docs[4];
      const key = v.curve === "tokens" ? "tokens_optimal" : "params_optimal";
      const laws = here.laws.map((l) => l.id);
      const series = laws.map((id) => ({label: id, line: true,
        points: docs.map((d) => d.laws.find((l) => l.id === id)).filter(Boolean).map((l) => [l.flops, l[key]])}));
      return [recordTable("laws", here.laws, [["id", "", "law"], ["params_optimal", "", "parameters N"],
          ["tokens_optimal", "", "tokens D"], ["tokens_per_param", "", "D / N"], ["loss_predicted", "", "loss"]]),
        chart({title: `Compute-optimal ${v.curve === "tokens" ? "tokens" : "model size"} by budget`,
          x: {label: "training compute C, FLOPs", log: true},
          y: {label: v.curve === "tokens" ? "tokens D" : "parameters N", log: true}, series}, 760, 420)];
    },
  },
  serving: {
    fields: ["model", "hardware", "dtype", "prompt", "output", "ttft", "itl", "rate"],
    calls: (v) => {
      const base = {model: v.model, hardware: v.hardware, dtype: v.dtype, prompt: String(int("prompt")), output: String(int("output"))};
      return [call("capacity", {...base, slo_ttft_p95: num("ttft"), slo_itl_p95: num("itl"), rate: num("rate"), compare: true}),
        call("simulate", {...base, rate: String(num("rate")), requests: 500})];
    },
    render: ([cap, sim]) => {
      const options = cap.compare || [cap];
      const pct = ["p50", "p90", "p95", "p99"];
      const lat = (k) => pct.map((p, i) => [[50, 90, 95, 99][i], sim[k] && sim[k][p]]);
      return [fieldTable("capacity", cap, [["max_rate_per_replica", "req/s", "max rate per replica"],
          ["replicas", "", "replicas for the traffic"], ["usd_per_million_tokens", "$", "USD per million output tokens"],
          ["ttft_p95_at_max", "s", "p95 TTFT at max"], ["itl_p95_at_max", "s", "p95 ITL at max"], ["meets_slo", "", "meets the targets"]]),
        el("div", {class: "charts"},
          chart({title: "Scale up or out: capacity vs cost", x: {label: "USD per million output tokens", log: false},
            y: {label: "max req/s per replica", log: false},
            series: [{label: "options", points: options.map((o) => [o.usd_per_million_tokens, o.max_rate_per_replica, `${o.kind}: ${o.devices} × ${o.hardware}`])}]}, 480, 340),
          chart({title: `Latency at ${sim.rate} req/s (simulated)`, x: {label: "percentile", log: false}, y: {label: "seconds", log: true},
            series: [{label: "TTFT", line: true, points: lat("ttft_seconds")}, {label: "ITL", line: true, points: lat("itl_seconds")},
              {label: "end to end", line: true, points: lat("e2e_seconds")}]}, 480, 340)),
        recordTable("options", options, [["kind", "", "option"], ["devices", "", "devices"], ["tp", "", "tp"],
          ["max_rate_per_replica", "req/s", "max req/s"], ["usd_per_million_tokens", "$", "USD / M tokens"], ["meets_slo", "", "meets"]]),
        fieldTable("simulate", sim, [["requests_per_second", "req/s", "served req/s"], ["output_tokens_per_second", "tok/s", "output tokens/s"],
          ["mean_running", "", "mean running"], ["kv_cache_utilization", "%", "KV cache used"], ["preemptions", "", "preemptions"]])];
    },
  },
  budget: {
    fields: ["portfolio"],
    calls: (v) => [call("budget/plan", {portfolio: v.portfolio}, [])],
    cli: () => textFileCli("portfolio.toml", $("portfolio").value, "budget plan portfolio.toml"),
    render: ([doc]) => {
      const months = doc.schedule || [];
      const series = [{label: "planned spend", line: true, points: months.map((m) => [m.month + 1, m.usd, ""])}];
      if (doc.cap && doc.cap.period === "month") {
        series.push({label: "cap", color: "#888", line: true, dots: false, points: months.map((m) => [m.month + 1, doc.cap.usd])});
      }
      const out = [fieldTable("budget-totals", doc.totals || {}, [["jobs_scheduled", "", "jobs scheduled"], ["jobs", "", "jobs"],
          ["value", "", "priority scheduled"], ["value_possible", "", "priority asked"], ["usd", "$", "cost"],
          ["usd_list", "$", "cost at list prices"], ["usd_saved_by_reserved", "$", "saved by reserved hours"],
          ["gpu_hours", "", "GPU-hours"], ["kwh", "", "kWh"], ["grams_co2", "", "grams CO2e"]]),
        chart({title: `Spend by month (cap ${show(doc.cap.usd, "$")} per ${doc.cap.period})`,
          x: {label: "month of the plan", log: false}, y: {label: "USD", log: false}, series}, 760, 320),
        recordTable("budget-jobs", doc.jobs || [], [["name", "", "job"], ["kind", "", "kind"], ["priority", "", "priority"],
          ["scheduled", "", "scheduled"], ["env", "", "environment"], ["devices", "", "devices"], ["start", "", "starts"],
          ["months", "", "months"], ["usd", "$", "cost"], ["reason", "", "left out because"]],
          (j) => ({class: j.scheduled ? "" : "left-out"}))];
      if ((doc.next_dollar || []).length) {
        out.push(el("h3", {text: "What more money would schedule"}),
          recordTable("budget-next", doc.next_dollar, [["job", "", "job"], ["priority", "", "priority"],
            ["usd_extra_per_period", "$", `extra per ${doc.cap.period}`], ["usd_extra_total", "$", "extra in all"]]));
      }
      return out;
    },
  },
  frontier: {
    fields: ["csv", "metric"],
    calls: (v) => [call("frontier", v.metric ? {csv: v.csv, metric: v.metric} : {csv: v.csv}, [])],
    cli: () => textFileCli("runs.csv", $("csv").value, "frontier runs.csv" + ($("metric").value ? " --metric " + shellWord($("metric").value) : "")),
    render: ([doc], v) => {
      const models = doc.models || [];
      const pt = (m) => [m.flops, m.quality, m.name];
      const front = models.filter((m) => m.on_frontier).sort((a, b) => a.flops - b.flops);
      return [chart({title: "Quality against training compute", x: {label: "training compute, FLOPs", log: true},
          y: {label: v.metric || "quality", log: false},
          series: [{label: "Pareto frontier", color: COLORS[2], line: true, points: front.map(pt)},
            {label: "dominated", color: COLORS[1], points: models.filter((m) => !m.on_frontier).map(pt)}]}, 760, 420),
        recordTable("frontier-models", models, [["name", "", "model"], ["flops", "FLOP", "training compute"],
          ["flops_source", "", "compute from"], ["quality", "", "quality"], ["on_frontier", "", "on the frontier"],
          ["dominated_by", "", "beaten by"], ["compute_excess", "", "× the compute it needed"]])];
    },
  },
};

// The command line for a view whose input is a document typed on the page: write it to a
// file, then run the command on it.
function textFileCli(file, text, command) {
  const body = text.endsWith("\n") ? text : text + "\n";
  return `cat > ${file} <<'FLOPSCOPE_EOF'\n${body}FLOPSCOPE_EOF\nflopscope ${command} --json`;
}

// ---------------------------------------------------------------------------------------
// State: the view and its fields in the URL

let view = "report";

function values() {
  return Object.fromEntries(VIEWS[view].fields.map((k) => [k, $(k).value]));
}

function showView() {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.view === view);
  for (const e of document.querySelectorAll("[data-views]")) e.hidden = !e.dataset.views.split(" ").includes(view);
  const usesModel = VIEWS[view].fields.includes("model");
  $("model").closest("label").hidden = $("upload").closest("label").hidden = !usesModel;
  for (const e of document.querySelectorAll("[data-work]")) e.hidden = e.dataset.work !== $("work").value;
}

let runs = 0;  // a newer run's answer wins; an older one arriving late is dropped
const TEXT_FIELDS = ["portfolio", "csv"];
const kUrlMax = 6000;  // characters of query; the server reads request lines up to 8 KiB
let linkDropsText = false;

async function run(push) {
  const mine = ++runs;
  document.body.dataset.ready = "0";
  const v = values();
  const calls = VIEWS[view].calls(v);
  if (push) {
    // A typed document goes in the link too, unless it would make the link longer than
    // servers take (the page says so; the command line still holds it).
    const q = new URLSearchParams({view, ...v});
    linkDropsText = q.toString().length > kUrlMax;
    if (linkDropsText) for (const k of TEXT_FIELDS) q.delete(k);
    history.pushState(null, "", "?" + q);
  }
  $("cli").textContent = VIEWS[view].cli ? VIEWS[view].cli(calls) : calls.map(cliLine).join("\n");
  $("error").textContent = "";
  $("status").textContent = "running…";
  try {
    const docs = await Promise.all(calls.map((c) => api(c.command, c.options)));
    if (mine !== runs) return;
    $("out").replaceChildren(...VIEWS[view].render(docs, v));
    $("status").textContent = linkDropsText && push ? "The link leaves the typed text out (too long for a URL); " +
      "the command line below holds it." : "";
  } catch (e) {
    if (mine !== runs) return;
    $("error").textContent = e.message;
    $("out").replaceChildren();
    $("status").textContent = "";
  }
  document.body.dataset.view = view;
  document.body.dataset.ready = "1";
}

function fill(select, values) {
  select.replaceChildren(...values.map(([v, t]) => el("option", {value: v, text: t || v})));
}

function restore() {
  const q = new URLSearchParams(location.search);
  view = VIEWS[q.get("view")] ? q.get("view") : "report";
  const known = new Set(Object.values(VIEWS).flatMap((w) => w.fields));
  for (const [k, v] of q) {
    const e = known.has(k) && $(k);
    if (!e) continue;
    if (e.tagName === "SELECT" && ![...e.options].some((o) => o.value === v)) e.append(el("option", {value: v, text: v}));
    e.value = v;
  }
  showView();
}

async function upload(file) {
  $("status").textContent = `uploading ${file.name}…`;
  const r = await fetch("/api/v1/uploads?name=" + encodeURIComponent(file.name), {method: "POST", body: file});
  const doc = await r.json();
  if (!r.ok) throw new Error(doc.error || r.statusText);
  uploads.set(doc.upload, file.name);
  $("model").prepend(el("option", {value: doc.upload, text: `${file.name} (uploaded)`}));
  $("model").value = doc.upload;
  return doc;
}

async function init() {
  const [models, hardware] = await Promise.all([api("models"), api("hardware")]);
  fill($("model"), models.models.map((m) => [m.name]));
  const hw = hardware.hardware.map((h) => [h.id, `${h.id} (${h.name})`]);
  fill($("hardware"), hw);
  fill($("to"), [["", "(no move)"], ...hw]);
  $("model").value = "llama-3.1-8b";
  $("hardware").value = "h100-sxm";
  restore();
  for (const b of document.querySelectorAll("#tabs button")) {
    b.addEventListener("click", () => { view = b.dataset.view; showView(); run(true); });
  }
  $("work").addEventListener("change", showView);
  $("f").addEventListener("submit", (e) => { e.preventDefault(); run(true); });
  $("upload").addEventListener("change", async () => {
    const f = $("upload").files[0];
    if (!f) return;
    try { await upload(f); await run(true); } catch (e) { $("error").textContent = e.message; $("status").textContent = ""; }
  });
  window.addEventListener("popstate", () => { restore(); run(false); });
  await run(false);
}

init().catch((e) => { $("error").textContent = e.message; document.body.dataset.ready = "1"; });
