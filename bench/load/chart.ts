/**
 * The load benchmark's chart, docs/benchmarks.svg: for each section (echo
 * servers, relays, programs behind a port) one panel of horizontal bars per
 * measure (every server, muxd first), and one for muxd's start-up.
 * Hand-written SVG, no dependency.
 *
 * @module
 */

import { MEASURES } from "./measures.ts";
import type { LoadBenchResult } from "./run.ts";
import { SECTIONS } from "./sections.ts";

const PANEL_WIDTH = 470;
const LABEL_WIDTH = 112;
const BAR_WIDTH = 250;
const ROW = 20;
const PANEL_TOP = 26;

const COLORS: Readonly<Record<string, string>> = {
  "muxd": "#2563eb",
  "muxd-every": "#1e40af",
  "muxd-quiet": "#93c5fd",
  "muxd-faults": "#60a5fa",
  "deno": "#0f766e",
  "c": "#374151",
  "xinetd": "#c2410c",
  "socat": "#15803d",
  "ncat": "#7c3aed",
  "node": "#a16207",
  "fwd-muxd": "#2563eb",
  "fwd-deno": "#0f766e",
  "fwd-haproxy": "#be123c",
  "fwd-nginx": "#0e7490",
  "fwd-socat": "#15803d",
  "fwd-ncat": "#7c3aed",
  "fwd-node": "#a16207",
  "exec-muxd": "#2563eb",
  "exec-deno": "#0f766e",
  "exec-deno-threads": "#65a30d",
  "exec-xinetd": "#c2410c",
  "exec-socat": "#15803d",
  "exec-ncat": "#7c3aed",
};

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const format = (value: number, decimals: number) =>
  Number.isFinite(value)
    ? value.toLocaleString("en-US", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    })
    : "–";

interface Bar {
  readonly label: string;
  readonly color: string;
  readonly value: number;
  readonly text: string;
  readonly hatched: boolean;
  readonly failed: boolean;
}

function panel(x: number, y: number, title: string, bars: readonly Bar[]): string {
  const max = Math.max(...bars.map((b) => Number.isFinite(b.value) ? b.value : 0), 1e-9);
  const parts = [
    `<text x="${x}" y="${y + 14}" class="title">${escape(title)}</text>`,
  ];
  bars.forEach((bar, i) => {
    const top = y + PANEL_TOP + i * ROW;
    const width = Number.isFinite(bar.value) ? Math.max(1, bar.value / max * BAR_WIDTH) : 0;
    parts.push(
      `<text x="${x + LABEL_WIDTH - 6}" y="${top + 12}" class="label">${escape(bar.label)}</text>`,
      `<rect x="${x + LABEL_WIDTH}" y="${top + 2}" width="${width.toFixed(1)}" height="${
        ROW - 6
      }" fill="${bar.color}" stroke="${bar.failed ? "#dc2626" : bar.color}" stroke-width="${
        bar.failed ? 2 : 1
      }"/>`,
      bar.hatched
        ? `<rect x="${x + LABEL_WIDTH}" y="${top + 2}" width="${width.toFixed(1)}" height="${
          ROW - 6
        }" fill="url(#hatch)"/>`
        : "",
      `<text x="${x + LABEL_WIDTH + width + 5}" y="${top + 12}" class="value">${
        escape(bar.text)
      }</text>`,
    );
  });
  return parts.join("\n");
}

/**
 * Draws the chart.
 *
 * @param result The run.
 * @returns An SVG document.
 */
export function chartSvg(result: LoadBenchResult): string {
  const parts: string[] = [];
  let height = 48;
  for (const section of SECTIONS) {
    const peers = result.peers.filter((p) => p.skipped === null && p.section === section.id);
    if (peers.length === 0) continue;
    const measures = MEASURES.filter((m) => section.measures.includes(m.id));
    if (section.id !== "echo") {
      parts.push(`<text x="10" y="${height + 14}" class="head">${escape(section.title)}</text>`);
      height += 24;
    }
    const panelHeight = PANEL_TOP + peers.length * ROW + 16;
    measures.forEach((m, index) => {
      const x = 10 + (index % 2) * PANEL_WIDTH;
      const y = height + Math.floor(index / 2) * panelHeight;
      const first = result.summaries.find((s) => s.measure === m.id && s.peer === peers[0].id);
      const bars = peers.map((p): Bar => {
        const s = result.summaries.find((s) => s.measure === m.id && s.peer === p.id);
        const value = s?.value ?? NaN;
        const ratio = first && s && s !== first && Number.isFinite(value)
          ? ` (${(value / first.value).toFixed(2)}×)`
          : "";
        return {
          label: p.label,
          color: COLORS[p.id] ?? "#6b7280",
          value,
          text: `${format(value, m.id === "idle-mem" ? 1 : 0)}${ratio}${
            s?.clientBound ? " †" : ""
          }${s && !s.ok ? " ✗" : ""}`,
          hatched: s?.clientBound ?? false,
          failed: s !== undefined && !s.ok,
        };
      });
      const better = m.higherIsBetter ? "higher is better" : "lower is better";
      parts.push(panel(x, y, `${m.title} (${m.unit}, ${better})`, bars));
    });
    height += Math.ceil(measures.length / 2) * panelHeight;
  }
  const startup = result.startup.filter((s) => !s.skipped);
  if (startup.length > 0) {
    const bars = startup.map((s): Bar => ({
      label: `${s.listeners.toLocaleString("en-US")} ${s.transport.toUpperCase()}`,
      color: COLORS.muxd,
      value: s.readyMs,
      text: `${format(s.readyMs, 0)} ms, ${format(s.rssMiB, 1)} MiB RSS`,
      hatched: false,
      failed: s.checks.some((c) => !c.ok),
    }));
    parts.push(panel(10, height, "muxd start-up: spawn to ready record (ms), RSS at ready", bars));
    height += PANEL_TOP + startup.length * ROW + 16;
  }
  const { machine, options } = result;
  const subtitle =
    `${machine.cpus} × ${machine.model}, Linux ${machine.kernel}, Deno ${machine.deno}` +
    ` · median of ${options.rounds} × ${options.seconds} s · † (striped) load generator was the bottleneck` +
    " · ✗ checks failed";
  const width = 20 + 2 * PANEL_WIDTH;
  height += 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">
<defs>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-opacity="0.65" stroke-width="3"/>
</pattern>
<style>
.title { font-size: 13px; font-weight: 600; fill: #111827; }
.label { font-size: 11px; fill: #374151; text-anchor: end; }
.value { font-size: 11px; fill: #111827; }
.head { font-size: 16px; font-weight: 700; fill: #111827; }
.sub { font-size: 11px; fill: #4b5563; }
</style>
</defs>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="10" y="20" class="head">muxd against other echo servers, relays and forking servers, on loopback</text>
<text x="10" y="37" class="sub">${escape(subtitle)}</text>
${parts.join("\n")}
</svg>
`;
}
