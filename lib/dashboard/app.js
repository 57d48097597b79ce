// The muxd dashboard in the browser: draws the socket table from a snapshot,
// keeps it up to date from Server-Sent Events (/api/events), lists arrivals
// (starting with the latest ones muxd kept before the page opened), shows
// the programs and relays running behind the ports (their running times
// tick here, from their start), and reconnects by itself when muxd
// restarts. No framework, no build step.

const FEED_LIMIT = 100;
const HIGHLIGHT_MS = 1200;
const RECONNECT_MS = 2000;

const tbody = document.querySelector("#sockets tbody");
const summary = document.getElementById("summary");
const feed = document.getElementById("feed");
const feedEmpty = document.getElementById("feed-empty");
const failures = document.getElementById("failures");
const noFailures = document.getElementById("no-failures");
const status = document.getElementById("status");
const pause = document.getElementById("pause");
const ENDED_LIMIT = 20;
const AGE_TICK_MS = 1000;
const SUMMARY_MS = 100;
/** Counts as toLocaleString() writes them, with one formatter, not one per call. */
const COUNT = new Intl.NumberFormat();

/** Rows by key (`udp 127.0.0.2:1060`): the data and its table row. */
const rows = new Map();
const highlightTimers = new Map();
let paused = false;
let missedWhilePaused = 0;
let since = null;
let dropped = 0;
let connectedOnce = false;
/** The last event was an arrival: light up the row that comes with it. */
let highlightNext = false;

// Socket names and sizes, as muxd's log writes them.

function socketName(name) {
  if (!name) return "";
  const address = name.address.includes(":") ? `[${name.address}]` : name.address;
  return `${address}:${name.port}`;
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function clock(time) {
  const d = new Date(time);
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");
}

/** A running time: `42 s`, `3 min 05 s`, `2 h 07 min`. */
function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  const pad = (n) => String(n).padStart(2, "0");
  if (m < 60) return `${m} min ${pad(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${pad(m % 60)} min`;
}

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// Faults, as muxd's log and socket table write them.

/** Every fault kind, in the order muxd lists them (lib/faults/kinds.ts). */
const FAULT_KINDS = [
  "latency",
  "bandwidth",
  "slice",
  "reset",
  "close",
  "hang",
  "stall",
  "drop",
  "truncate",
  "corrupt",
  "duplicate",
  "reorder",
  "delay",
];

/** `drop=0.5&seed=1`, or `drop=0.5 (seed 9, picked by muxd)`. */
function faultsShown(faults) {
  const text = faults.text.slice(1);
  return /(?:^|[?&])seed=/.test(faults.text)
    ? text
    : `${text} (seed ${faults.seed}, picked by muxd)`;
}

/** `5,012 drop, 12 duplicate`, or `""` for none. */
function faultCounts(counts) {
  return FAULT_KINDS.filter((kind) => (counts?.[kind] ?? 0) > 0)
    .map((kind) => `${counts[kind].toLocaleString("en-US")} ${kind}`)
    .join(", ");
}

/** The Faults cell: the faults now, then how many hit: `drop=0.5&seed=1; 3 drop`. */
function faultsCell(row) {
  const hit = faultCounts(row.faultCounts);
  if (!row.faults && !hit) return "–";
  return [row.faults ? faultsShown(row.faults) : "none now", hit].filter(Boolean).join("; ");
}

function totalFaults(all) {
  return all.reduce(
    (a, r) => a + Object.values(r.faultCounts ?? {}).reduce((b, n) => b + n, 0),
    0,
  );
}

// The socket table.

const COLUMNS = [
  { text: (r) => r.transport },
  { text: (r) => r.local.address },
  { text: (r) => String(r.local.port), num: true },
  { text: (r) => r.service },
  { text: (r) => r.state, cls: (r) => `state-${r.state}` },
  { text: (r) => (r.transport === "tcp" ? String(r.open) : "–"), num: true },
  { text: (r) => COUNT.format(r.total), num: true },
  { text: (r) => bytes(r.bytesIn), num: true },
  { text: (r) => bytes(r.bytesOut), num: true },
  { text: faultsCell, cls: (r) => (r.faults || faultCounts(r.faultCounts) ? "faults" : "") },
  { text: (r) => socketName(r.lastRemote) || "–" },
];

function fillRow(tr, row) {
  tr.dataset.key = row.key;
  tr.dataset.state = row.state;
  tr.title = row.reason ? `${row.listener}: ${row.reason}` : row.listener;
  COLUMNS.forEach((column, i) => {
    const cell = tr.cells[i];
    const text = column.text(row);
    if (cell.textContent !== text) cell.textContent = text;
    const cls = [column.num ? "num" : "", column.cls ? column.cls(row) : ""].join(" ").trim();
    if (cell.className !== cls) cell.className = cls;
  });
}

function newRow() {
  const tr = document.createElement("tr");
  for (let i = 0; i < COLUMNS.length; i++) tr.append(document.createElement("td"));
  return tr;
}

function updateRow(row) {
  let entry = rows.get(row.key);
  if (!entry) {
    entry = { row, tr: newRow() };
    rows.set(row.key, entry);
    const firstFailed = row.state === "failed"
      ? null
      : tbody.querySelector('tr[data-state="failed"]');
    tbody.insertBefore(entry.tr, firstFailed);
  }
  entry.row = row;
  fillRow(entry.tr, row);
  summarySoon();
}

// The summary sums every row: with thousands of sockets and an arrival on
// each, summing per arrival took the page's every moment. It is summed at
// most every SUMMARY_MS, and once at the end of a snapshot.
let summaryTimer = null;

function summarySoon() {
  summaryTimer ??= setTimeout(() => {
    summaryTimer = null;
    updateSummary();
  }, SUMMARY_MS);
}

// A snapshot's table: the rows it names, updated in place (each cell only
// where its text changed), failed ones last, and the rows it no longer names
// gone. A page that falls behind gets a snapshot every frame: with thousands
// of sockets, building the table afresh each time kept the page from ever
// catching up.
function showSockets(sockets) {
  const seen = new Set();
  const order = [];
  const failedRows = [];
  for (const row of sockets) {
    seen.add(row.key);
    let entry = rows.get(row.key);
    if (!entry) {
      entry = { row: null, tr: newRow() };
      rows.set(row.key, entry);
    }
    if (entry.row === null || !sameRow(entry.row, row)) fillRow(entry.tr, row);
    entry.row = row;
    (row.state === "failed" ? failedRows : order).push(entry.tr);
  }
  for (const [key, entry] of rows) {
    if (seen.has(key)) continue;
    entry.tr.remove();
    rows.delete(key);
  }
  // Moves only the rows out of place: none, when the sockets are the same.
  let at = tbody.firstElementChild;
  for (const tr of [...order, ...failedRows]) {
    if (tr === at) at = at.nextElementSibling;
    else tbody.insertBefore(tr, at);
  }
}

/** Whether two rows show the same: field by field, nested values (faults) as JSON. */
function sameRow(a, b) {
  const keys = Object.keys(b);
  if (keys.length !== Object.keys(a).length) return false;
  return keys.every((k) =>
    a[k] === b[k] ||
    (typeof b[k] === "object" && b[k] !== null && JSON.stringify(a[k]) === JSON.stringify(b[k]))
  );
}

function updateSummary() {
  const all = [...rows.values()].map((e) => e.row);
  if (all.length === 0) {
    summary.textContent = "No sockets yet.";
    return;
  }
  const count = (state) => all.filter((r) => r.state === state).length;
  const sum = (transport) =>
    all.filter((r) => r.transport === transport).reduce((a, r) => a + r.total, 0);
  const states = ["listening", "closed", "failed"]
    .map((s) => [count(s), s])
    .filter(([n]) => n > 0)
    .map(([n, s]) => `${n} ${s}`);
  const turnedAway = [
    [all.reduce((a, r) => a + (r.refused ?? 0), 0), "connection", "refused"],
    [all.reduce((a, r) => a + (r.suppressed ?? 0), 0), "reply", "suppressed"],
    [totalFaults(all), "fault", "hit on purpose"],
  ].filter(([n]) => n > 0).map(([n, what, how]) => ` ${n} ${what}${n === 1 ? "" : "s"} ${how}.`);
  summary.textContent =
    `${all.length} socket${all.length === 1 ? "" : "s"}: ${states.join(", ")}. ` +
    `${sum("tcp")} TCP connection${sum("tcp") === 1 ? "" : "s"}, ` +
    `${sum("udp")} UDP datagram${sum("udp") === 1 ? "" : "s"} so far.` + turnedAway.join("");
}

function highlight(key) {
  const entry = rows.get(key);
  if (!entry) return;
  clearTimeout(highlightTimers.get(key));
  entry.tr.classList.add("hit");
  highlightTimers.set(
    key,
    setTimeout(() => {
      entry.tr.classList.remove("hit");
      highlightTimers.delete(key);
    }, HIGHLIGHT_MS),
  );
}

// Bind failures, with muxd's explanation.

function showFailures(list) {
  failures.replaceChildren(
    ...list.map((f) =>
      element(
        "li",
        {},
        element("code", {}, f.listener),
        ": ",
        element("span", { class: "reason" }, f.reason),
      )
    ),
  );
  noFailures.hidden = list.length > 0;
}

// The feed: arrivals and problems, newest first. Event types this page does
// not know are shown too, generically.

function describe(event) {
  const t = event.transport;
  const local = socketName(event.local);
  const remote = socketName(event.remote);
  switch (event.type) {
    case "connection-opened": {
      // On a wildcard listener, local is the address the peer chose.
      const bound = socketName(event.bound);
      return {
        cls: "arrival",
        line: `${t} ${local} <- ${remote} -> ${event.service}`,
        extra: bound && bound !== local ? `via ${t} ${bound}` : "",
      };
    }
    case "datagram":
      return {
        cls: "arrival",
        line: `${t} ${local} <- ${remote} -> ${event.service}`,
        extra: bytes(event.bytesIn),
      };
    case "bind-failed":
      return {
        cls: "problem",
        line: `cannot bind ${t} ${local} (${event.listener}): ${event.reason}`,
      };
    case "error":
      return {
        cls: "problem",
        line: `${t} ${local}${remote ? ` <- ${remote}` : ""} -> ${event.service} failed: ` +
          `${event.name}: ${event.message}`,
      };
    case "connection-refused":
      return {
        cls: "problem",
        line: `${t} ${local} <- ${remote} refused (${event.reason}): ${event.detail}`,
      };
    case "reply-suppressed":
      return {
        cls: "problem",
        line: `${t} ${local} <- ${remote} ` +
          (event.bytesOut > 0 ? `reply cut to ${event.bytesOut} B` : "no reply") +
          ` from ${event.service} (${event.reason}): ${event.detail}`,
      };
    case "faults-changed":
      return {
        cls: "notice",
        line: `faults of ${t} ${local} -> ${event.service} changed from ` +
          `${event.before ? event.before.slice(1) : "none"} to ` +
          (event.seed === null ? "none" : faultsShown({ text: event.after, seed: event.seed })) +
          `; they apply to ${t === "tcp" ? "connections" : "datagrams"} from now on`,
      };
    case "listening":
    case "listener-closed":
    case "connection-closed":
    case "reply":
    case "fault": // one per connection or datagram hit: the table counts them
      return null; // the table shows these
    default: {
      const ends = remote ? `${local} <-> ${remote}` : local;
      const why = [event.reason, event.detail ?? event.message].filter(Boolean).join(": ");
      return {
        cls: "notice",
        line: `${event.type}: ${t ?? ""} ${ends}${event.service ? ` (${event.service})` : ""}` +
          (why ? `: ${why}` : ""),
      };
    }
  }
}

function addToFeed(item, time) {
  if (paused) {
    missedWhilePaused++;
    pause.textContent = `Resume (${missedWhilePaused} new)`;
    return;
  }
  const li = element(
    "li",
    { class: item.cls },
    element("time", { datetime: new Date(time).toISOString() }, clock(time)),
    element("code", { class: "line" }, item.line),
  );
  if (item.extra) li.append(element("span", { class: "extra" }, item.extra));
  feed.prepend(li);
  feedEmpty.hidden = true;
  while (feed.children.length > FEED_LIMIT) feed.lastElementChild.remove();
}

function note(text) {
  addToFeed({ cls: "note", line: text }, Date.now());
}

pause.addEventListener("click", () => {
  paused = !paused;
  pause.setAttribute("aria-pressed", String(paused));
  if (!paused && missedWhilePaused > 0) {
    const n = missedWhilePaused;
    missedWhilePaused = 0;
    note(`${n} event${n === 1 ? "" : "s"} not listed while paused; the table counted them`);
  }
  pause.textContent = paused ? "Resume" : "Pause";
});

// Behind the ports: exec's programs and forward's relays, from `live`
// messages (one per start or end) and `traffic` messages (live byte counts,
// about once a second). Running times tick here, from each row's start on
// muxd's clock.

const liveParts = {
  process: {
    table: document.getElementById("processes"),
    empty: document.getElementById("no-processes"),
    columns: [
      { text: (r) => `${r.transport} ${socketName(r.local)}` },
      { text: (r) => socketName(r.remote) + (r.id === null ? "" : ` #${r.id}`) },
      { text: (r) => String(r.pid), num: true },
      { text: (r) => r.program },
      { age: true },
    ],
  },
  relay: {
    table: document.getElementById("relays"),
    empty: document.getElementById("no-relays"),
    columns: [
      { text: (r) => `${r.transport} ${socketName(r.local)}` },
      { text: (r) => socketName(r.remote) + (r.id === null ? "" : ` #${r.id}`) },
      { text: (r) => socketName(r.upstream) },
      { text: (r) => socketName(r.from) },
      { text: (r) => flow(r.bytesIn, r.datagramsIn), num: true },
      { text: (r) => flow(r.bytesOut, r.datagramsOut), num: true },
      { age: true },
    ],
  },
};
const ended = document.getElementById("ended");
const noEnded = document.getElementById("no-ended");
/** Live rows by key (`exec 812`, `tcp #3`, `udp 127.0.0.1:7253 <- 127.0.0.1:40000`). */
const live = new Map();
/** muxd's clock minus this browser's, from the latest snapshot. */
let clockOffset = 0;

function flow(n, datagrams) {
  if (datagrams === null || datagrams === undefined) return bytes(n);
  return `${bytes(n)} in ${datagrams} datagram${datagrams === 1 ? "" : "s"}`;
}

function fillLiveRow(tr, row) {
  const part = liveParts[row.kind];
  tr.dataset.key = row.key;
  tr.title = row.listener;
  part.columns.forEach((column, i) => {
    const cell = tr.cells[i];
    if (column.age) {
      cell.className = "num age";
      cell.dataset.started = String(row.started);
      cell.textContent = duration(Date.now() + clockOffset - row.started);
      return;
    }
    const text = column.text(row);
    if (cell.textContent !== text) cell.textContent = text;
    cell.className = column.num ? "num" : "name";
  });
}

function showLiveRow(row) {
  let entry = live.get(row.key);
  if (!entry) {
    const part = liveParts[row.kind];
    const tr = document.createElement("tr");
    for (let i = 0; i < part.columns.length; i++) tr.append(document.createElement("td"));
    entry = { row, tr };
    live.set(row.key, entry);
    part.table.tBodies[0].append(tr);
  }
  entry.row = row;
  fillLiveRow(entry.tr, row);
  updateLiveEmpty();
}

function updateLiveEmpty() {
  for (const part of Object.values(liveParts)) {
    const empty = part.table.tBodies[0].rows.length === 0;
    part.table.hidden = empty;
    part.empty.hidden = !empty;
  }
}

function endedLine(end) {
  const r = end.row;
  const head = `${r.transport} ${socketName(r.local)} <- ${socketName(r.remote)}`;
  const took = end.durationMs < 10_000
    ? `${Math.round(end.durationMs)} ms`
    : duration(end.durationMs);
  if (r.kind === "process") {
    return [`${head} -> ${r.program} (pid ${r.pid})`, `${end.how} after ${took}`];
  }
  return [
    `${head} -> ${socketName(r.upstream)}: ${flow(r.bytesIn, r.datagramsIn)} to upstream, ` +
    `${flow(r.bytesOut, r.datagramsOut)} back`,
    `${end.how} after ${took}`,
  ];
}

function showEnded(end) {
  const [line, how] = endedLine(end);
  const li = element(
    "li",
    { "data-key": end.row.key },
    element("time", { datetime: new Date(end.ended).toISOString() }, clock(end.ended)),
    " ",
    element("code", { class: "line" }, line),
    ", ",
    element("span", { class: "how" }, how),
  );
  ended.prepend(li);
  while (ended.children.length > ENDED_LIMIT) ended.lastElementChild.remove();
  noEnded.hidden = true;
}

function onLive(change) {
  if (change.row) {
    showLiveRow(change.row);
    return;
  }
  const entry = live.get(change.key);
  if (entry) {
    entry.tr.remove();
    live.delete(change.key);
    updateLiveEmpty();
  }
  if (change.ended) showEnded(change.ended);
}

function onTraffic(updates) {
  for (const update of updates) {
    const entry = live.get(update.key);
    if (entry) showLiveRow({ ...entry.row, ...update });
  }
}

function showLive(state) {
  clockOffset = state.now - Date.now();
  live.clear();
  for (const part of Object.values(liveParts)) part.table.tBodies[0].replaceChildren();
  for (const row of [...state.processes, ...state.relays]) showLiveRow(row);
  updateLiveEmpty();
  ended.replaceChildren();
  noEnded.hidden = state.ended.length > 0;
  for (const end of state.ended) showEnded(end);
}

setInterval(() => {
  const now = Date.now() + clockOffset;
  for (const cell of document.querySelectorAll("td.age")) {
    const text = duration(now - Number(cell.dataset.started));
    if (cell.textContent !== text) cell.textContent = text;
  }
}, AGE_TICK_MS);

// The event stream.

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
  document.body.classList.toggle("offline", state !== "live");
}

function onSnapshot(snapshot) {
  const firstSnapshot = since === null;
  const restarted = !firstSnapshot && snapshot.stats.since !== since;
  since = snapshot.stats.since;
  showSockets(snapshot.sockets);
  updateSummary();
  showFailures(snapshot.failures);
  if (snapshot.live) showLive(snapshot.live);
  if (snapshot.dropped > dropped) {
    note(`skipped ${snapshot.dropped - dropped} events: this page fell behind; the table is exact`);
  }
  dropped = snapshot.dropped;
  if (restarted) note("muxd restarted: the counters start again");
  // A page that has just opened, or a muxd that has just restarted: the
  // feed starts with the arrivals muxd kept (the latest 100), oldest first
  // so that the newest ends on top. Later snapshots (a page that fell
  // behind, a reconnection) leave the feed as it is: the table is exact.
  if (firstSnapshot || restarted) {
    for (const event of snapshot.arrivals ?? []) {
      const item = describe(event);
      if (item) addToFeed(item, event.time);
    }
  }
}

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => {
    if (connectedOnce) note("reconnected to muxd");
    connectedOnce = true;
    dropped = 0;
    setStatus("live", "Live");
  });
  source.addEventListener("snapshot", (m) => onSnapshot(JSON.parse(m.data)));
  source.addEventListener("socket", (m) => {
    const row = JSON.parse(m.data);
    updateRow(row);
    // The row the server counted the arrival on (on a wildcard listener,
    // not the address the peer chose).
    if (highlightNext) highlight(row.key);
    highlightNext = false;
  });
  source.addEventListener("live", (m) => onLive(JSON.parse(m.data)));
  source.addEventListener("traffic", (m) => onTraffic(JSON.parse(m.data)));
  source.addEventListener("message", (m) => {
    const event = JSON.parse(m.data);
    const item = describe(event);
    if (item) addToFeed(item, event.time);
    highlightNext = event.type === "connection-opened" || event.type === "datagram";
  });
  source.addEventListener("error", () => {
    setStatus("offline", "muxd is not answering; reconnecting…");
    // The browser retries by itself while the stream is CONNECTING; once it
    // gives up (CLOSED), start a new stream.
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      setTimeout(connect, RECONNECT_MS);
    }
  });
}

connect();
