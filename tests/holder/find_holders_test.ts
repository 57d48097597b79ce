import assert from "node:assert/strict";
import { findHolders, type HolderQuery } from "../../lib/holder/mod.ts";
import { fakeProc, row, table } from "./_fake_proc.ts";

// Hex forms used below (little-endian words, as on x86 and arm).
const LO = "0100007F"; // 127.0.0.1
const LO2 = "0200007F"; // 127.0.0.2
const ANY4 = "00000000"; // 0.0.0.0
const ANY6 = "00000000000000000000000000000000"; // ::
const LO6 = "00000000000000000000000001000000"; // ::1
const MAPPED_LO = "0000000000000000FFFF00000100007F"; // ::ffff:127.0.0.1
const P7007 = "1B5F";
const NONE4 = "00000000:0000";
const NONE6 = `${ANY6}:0000`;

const QUERY: HolderQuery = { transport: "tcp", address: "127.0.0.1", port: 7007 };

const PYTHON = {
  pid: 1234,
  comm: "python3",
  argv: ["python3", "-m", "http.server", "7007"],
  sockets: [500],
};

Deno.test("findHolders() says where it cannot work off Linux, without reading /proc", async () => {
  const proc = fakeProc({});
  const cases = [
    ["darwin", QUERY, "holder lookup needs Linux's /proc; on macOS run: lsof -nP -iTCP:7007"],
    [
      "darwin",
      { ...QUERY, transport: "udp" },
      "holder lookup needs Linux's /proc; on macOS run: lsof -nP -iUDP:7007",
    ],
    [
      "windows",
      QUERY,
      "holder lookup needs Linux's /proc; on Windows run: netstat -ano | findstr :7007",
    ],
  ] as const;
  for (const [os, query, reason] of cases) {
    assert.deepEqual(await findHolders(query, { ...proc, os }), {
      supported: false,
      reason,
      holders: [],
    });
  }
  assert.equal(proc.reads.size, 0);
});

Deno.test("findHolders() reports unsupported, not an error, when Deno may not read /proc", async () => {
  const report = await findHolders(QUERY, {
    ...fakeProc({}),
    os: "linux",
    readFile: (path) =>
      Promise.reject(new Deno.errors.NotCapable(`Requires all access to "${path}"`)),
  });
  assert.equal(report.supported, false);
  assert.deepEqual(report.holders, []);
  assert.match(report.reason ?? "", /--allow-all/);
  assert.match(report.reason ?? "", /ss -tanp 'sport = :7007'/);
});

Deno.test("findHolders() reports unsupported when /proc/net/tcp is missing", async () => {
  const proc = fakeProc({});
  const report = await findHolders(QUERY, {
    ...proc,
    os: "linux",
    readFile: (path) =>
      path === "/proc/net/tcp"
        ? Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`))
        : proc.readFile(path),
  });
  assert.equal(report.supported, false);
  assert.match(report.reason ?? "", /needs a readable \/proc\/net\/tcp/);
});

Deno.test("findHolders() reports unsupported when /proc/net/tcp does not parse", async () => {
  const report = await findHolders(QUERY, {
    ...fakeProc({ tcp: table("   0: garbage") }),
    os: "linux",
  });
  assert.equal(report.supported, false);
  assert.match(report.reason ?? "", /Cannot parse \/proc\/net\/tcp line 2/);
});

Deno.test("findHolders() names a listening socket and its process", async () => {
  const proc = fakeProc({
    tcp: table(row(`${LO}:${P7007}`, NONE4, "0A", 1000, 500)),
    processes: [PYTHON],
  });
  const report = await findHolders(QUERY, { ...proc, os: "linux" });
  assert.deepEqual(report, {
    supported: true,
    holders: [{
      transport: "tcp",
      local: { address: "127.0.0.1", port: 7007 },
      remote: null,
      state: "LISTEN",
      kind: "listening",
      uid: 1000,
      inode: 500,
      process: { pid: 1234, name: "python3", command: "python3 -m http.server 7007" },
    }],
  });
});

Deno.test("findHolders() keeps only sockets on the port whose address conflicts", async () => {
  const proc = fakeProc({
    tcp: table(
      row(`${LO}:1B60`, NONE4, "0A", 0, 501), // another port
      row(`${LO2}:${P7007}`, NONE4, "0A", 0, 502), // another address
      row(`${ANY4}:${P7007}`, NONE4, "0A", 0, 503), // the IPv4 wildcard
    ),
    tcp6: table(
      row(`${LO6}:${P7007}`, NONE6, "0A", 0, 504), // IPv6 loopback
      row(`${ANY6}:${P7007}`, NONE6, "0A", 0, 505), // the dual-stack wildcard
      row(`${MAPPED_LO}:${P7007}`, `${MAPPED_LO}:C000`, "01", 0, 506), // IPv4-mapped
    ),
    udp: table(row(`${LO}:${P7007}`, NONE4, "07", 0, 507)), // another transport
  });
  const report = await findHolders(QUERY, { ...proc, os: "linux" });
  assert.deepEqual(report.holders.map((h) => h.inode), [503, 505, 506]);
});

Deno.test("findHolders() leaves out :: for IPv4 queries when bindv6only is 1", async () => {
  const proc = fakeProc({
    tcp6: table(row(`${ANY6}:${P7007}`, NONE6, "0A", 0, 505)),
    bindv6only: "1",
  });
  assert.deepEqual((await findHolders(QUERY, { ...proc, os: "linux" })).holders, []);
  const ipv6 = await findHolders({ ...QUERY, address: "::1" }, { ...proc, os: "linux" });
  assert.deepEqual(ipv6.holders.map((h) => h.inode), [505]);
});

Deno.test("findHolders() works without the IPv6 tables (IPv6 disabled)", async () => {
  const proc = fakeProc({
    tcp: table(row(`${LO}:${P7007}`, NONE4, "0A", 0, 500)),
    tcp6: null,
  });
  const report = await findHolders(QUERY, { ...proc, os: "linux" });
  assert.equal(report.supported, true);
  assert.deepEqual(report.holders.map((h) => h.inode), [500]);
});

Deno.test("findHolders() tells each kind of TCP socket and lists listening ones first", async () => {
  const proc = fakeProc({
    tcp: table(
      row(`${LO}:${P7007}`, `${LO}:C000`, "06", 0, 0),
      row(`${LO}:${P7007}`, `${LO}:C001`, "01", 0, 601),
      row(`${LO}:${P7007}`, NONE4, "07", 0, 602),
      row(`${LO}:${P7007}`, `${LO}:C002`, "08", 0, 603),
      row(`${LO}:${P7007}`, NONE4, "0A", 0, 604),
    ),
  });
  const report = await findHolders(QUERY, { ...proc, os: "linux" });
  assert.deepEqual(
    report.holders.map((h) => [h.kind, h.state, h.remote?.port ?? null]),
    [
      ["listening", "LISTEN", null],
      ["bound", "CLOSE", null],
      ["connection", "ESTABLISHED", 0xc001],
      ["connection", "CLOSE_WAIT", 0xc002],
      ["time-wait", "TIME_WAIT", 0xc000],
    ],
  );
});

Deno.test("findHolders() tells bound and connected UDP sockets apart", async () => {
  const proc = fakeProc({
    udp: table(
      row(`${LO}:${P7007}`, `${LO2}:0035`, "01", 0, 701),
      row(`${LO}:${P7007}`, NONE4, "07", 0, 702),
    ),
  });
  const report = await findHolders({ ...QUERY, transport: "udp" }, { ...proc, os: "linux" });
  assert.deepEqual(
    report.holders.map((h) => [h.transport, h.kind, h.state, h.remote]),
    [
      ["udp", "bound", "UNCONNECTED", null],
      ["udp", "connection", "CONNECTED", { address: "127.0.0.2", port: 53 }],
    ],
  );
});

Deno.test("findHolders() says no process owns a TIME_WAIT socket, without scanning /proc", async () => {
  const proc = fakeProc({ tcp: table(row(`${LO}:${P7007}`, `${LO}:C000`, "06", 0, 0)) });
  const [holder] = (await findHolders(QUERY, { ...proc, os: "linux" })).holders;
  assert.equal(holder.kind, "time-wait");
  assert.equal(holder.process, null);
  assert.match(holder.processUnknownReason ?? "", /no process owns it; the kernel keeps it/);
  assert.equal(proc.reads.get("/proc"), undefined);
});

Deno.test("findHolders() explains other inode-0 sockets by their state", async () => {
  const proc = fakeProc({
    tcp: table(
      row(`${LO}:${P7007}`, `${LO}:C000`, "03", 0, 0),
      row(`${LO}:${P7007}`, `${LO}:C001`, "05", 0, 0),
    ),
  });
  const reasons = (await findHolders(QUERY, { ...proc, os: "linux" })).holders
    .map((h) => h.processUnknownReason);
  assert.match(reasons[0] ?? "", /still being set up/);
  assert.match(reasons[1] ?? "", /finishing the TCP shutdown/);
});

Deno.test("findHolders() scans /proc once, however many holders there are", async () => {
  const proc = fakeProc({
    tcp: table(
      row(`${LO}:${P7007}`, NONE4, "0A", 0, 500),
      row(`${LO}:${P7007}`, `${LO}:C000`, "01", 0, 800),
      row(`${LO}:${P7007}`, `${LO}:C001`, "01", 0, 801),
    ),
    processes: [
      PYTHON,
      { pid: 2000, comm: "curl", argv: ["curl", "localhost:7007"], sockets: [800, 801] },
      { pid: 3000, comm: "bash", argv: ["bash"], sockets: [] },
    ],
  });
  const report = await findHolders(QUERY, { ...proc, os: "linux" });
  assert.deepEqual(report.holders.map((h) => h.process?.pid), [1234, 2000, 2000]);
  assert.equal(proc.reads.get("/proc"), 1);
  for (const pid of [1234, 2000, 3000]) assert.equal(proc.reads.get(`/proc/${pid}/fd`), 1);
  assert.equal(proc.reads.get("/proc/2000/cmdline"), 1);
});

Deno.test("findHolders() names the lowest pid of a shared socket and lists the others", async () => {
  const proc = fakeProc({
    tcp: table(row(`${ANY4}:${P7007}`, NONE4, "0A", 33, 900)),
    processes: [
      { pid: 4102, comm: "nginx", argv: ["nginx: worker process"], sockets: [900] },
      { pid: 4100, comm: "nginx", argv: ["nginx: master process /usr/sbin/nginx"], sockets: [900] },
      { pid: 4101, comm: "nginx", argv: ["nginx: worker process"], sockets: [900] },
    ],
  });
  const [holder] = (await findHolders(QUERY, { ...proc, os: "linux" })).holders;
  assert.deepEqual(holder.process, {
    pid: 4100,
    name: "nginx",
    command: "nginx: master process /usr/sbin/nginx",
  });
  assert.deepEqual(holder.otherPids, [4101, 4102]);
});

Deno.test("findHolders() gives process null with a reason when the owner may not be inspected", async () => {
  const proc = fakeProc({
    tcp: table(row(`${LO}:${P7007}`, NONE4, "0A", 1000, 500)),
    processes: [{ ...PYTHON, denied: true }, {
      pid: 5000,
      comm: "deno",
      argv: ["deno"],
      sockets: [],
    }],
  });
  const [holder] = (await findHolders(QUERY, { ...proc, os: "linux" })).holders;
  assert.equal(holder.process, null);
  assert.equal(
    holder.processUnknownReason,
    "owner not visible: the socket belongs to uid 1000, and this user may not inspect 1 " +
      "process; try: sudo ss -tanp 'sport = :7007'",
  );
});

Deno.test("findHolders() says when no process has a socket open any more", async () => {
  const proc = fakeProc({ tcp: table(row(`${LO}:${P7007}`, NONE4, "0A", 0, 500)) });
  const [holder] = (await findHolders(QUERY, { ...proc, os: "linux" })).holders;
  assert.equal(holder.process, null);
  assert.match(holder.processUnknownReason ?? "", /no process has it open any more/);
});

Deno.test("findHolders() cuts long command lines and names kernel threads by comm", async () => {
  const long = ["node", "server.js", ...Array.from({ length: 40 }, (_, i) => `--flag-${i}`)];
  const proc = fakeProc({
    udp: table(
      row(`${LO}:${P7007}`, NONE4, "07", 0, 1001),
      row(`${ANY4}:${P7007}`, NONE4, "07", 0, 1002),
    ),
    processes: [
      { pid: 10, comm: "node", argv: long, sockets: [1001] },
      { pid: 11, comm: "kworker/0:1", argv: [], sockets: [1002] },
    ],
  });
  const report = await findHolders({ ...QUERY, transport: "udp" }, { ...proc, os: "linux" });
  const [node, kernel] = report.holders.map((h) => h.process);
  assert.equal(node?.command.length, 120);
  assert.ok(node?.command.startsWith("node server.js --flag-0 --flag-1"));
  assert.ok(node?.command.endsWith("…"));
  assert.equal(kernel?.command, "[kworker/0:1]");
});
