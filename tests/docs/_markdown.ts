/**
 * What the docs tests read from Markdown: fenced blocks, the commands in
 * `sh` and `console` blocks (with the output a `console` block shows), the
 * relative links, and the anchors each heading makes.
 */

/** A file of the docs, read from the repository. */
export interface DocFile {
  /** The path from the repository root, such as `docs/reference.md`. */
  readonly path: string;
  /** Its text. */
  readonly text: string;
}

/** A fenced code block. */
export interface Block {
  /** The file it is in. */
  readonly file: string;
  /** The 1-based line of its opening fence. */
  readonly line: number;
  /** Its info string's first word, such as `sh`; `""` when it has none. */
  readonly lang: string;
  /** Its lines, without the fences and without the indentation of the fence, each with its line. */
  readonly lines: readonly { readonly text: string; readonly line: number }[];
}

/** A command the docs tell a reader to type. */
export interface DocCommand {
  /** The file it is in. */
  readonly file: string;
  /** The 1-based line it starts on. */
  readonly line: number;
  /** The command, continuation lines joined, without prompt or trailing comment. */
  readonly text: string;
  /** `sh`: a block of commands; `console`: a `$ ` prompt, followed by what it prints. */
  readonly kind: "sh" | "console";
  /** What a `console` block shows it print; `null` for `sh`. */
  readonly output: readonly string[] | null;
  /** The index of its block among the file's blocks: commands of one block run in order, together. */
  readonly block: number;
}

/** The languages whose blocks hold commands, one a line. */
const SHELL = new Set(["sh", "shell", "bash"]);

/**
 * Every fenced block of a Markdown text.
 *
 * @param file The file's path, for positions.
 * @param text The Markdown.
 * @returns The blocks, in order.
 */
export function fencedBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/);
    if (open === null) continue;
    const [, indent, fence, lang] = open;
    const body: { text: string; line: number }[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j].trim() !== fence; j++) {
      const raw = lines[j];
      body.push({ text: raw.startsWith(indent) ? raw.slice(indent.length) : raw, line: j + 1 });
    }
    blocks.push({ file, line: i + 1, lang, lines: body });
    i = j;
  }
  return blocks;
}

/**
 * The commands of a Markdown text: every line of an `sh` block (comments
 * and blank lines left out, `\` continuations joined), and every `$ ` line
 * of a `console` block with the lines after it as its output.
 *
 * @param file The file's path, for positions.
 * @param text The Markdown.
 * @returns The commands, in order.
 */
export function docCommands(file: string, text: string): DocCommand[] {
  const out: DocCommand[] = [];
  fencedBlocks(file, text).forEach((block, index) => {
    if (SHELL.has(block.lang)) out.push(...shellCommands(block, index));
    else if (block.lang === "console") out.push(...consoleCommands(block, index));
  });
  return out;
}

function shellCommands(block: Block, index: number): DocCommand[] {
  const out: DocCommand[] = [];
  let pending: { text: string; line: number } | null = null;
  for (const { text, line } of block.lines) {
    const trimmed = text.trim();
    if (pending === null && (trimmed === "" || trimmed.startsWith("#"))) continue;
    const joined: { text: string; line: number } = pending === null
      ? { text: trimmed, line }
      : { text: `${pending.text} ${trimmed}`, line: pending.line };
    if (joined.text.endsWith("\\")) {
      pending = { text: joined.text.slice(0, -1).trimEnd(), line: joined.line };
      continue;
    }
    pending = null;
    const command = joined.text.replace(/\s+#\s.*$/, "");
    out.push({
      file: block.file,
      line: joined.line,
      text: command,
      kind: "sh",
      output: null,
      block: index,
    });
  }
  return out;
}

function consoleCommands(block: Block, index: number): DocCommand[] {
  const out: { file: string; line: number; text: string; output: string[] }[] = [];
  for (const { text, line } of block.lines) {
    if (text.startsWith("$ ")) {
      out.push({ file: block.file, line, text: text.slice(2).trim(), output: [] });
    } else if (out.length > 0) {
      out[out.length - 1].output.push(text);
    }
  }
  return out.map((c) => {
    const output = [...c.output];
    while (output.length > 0 && output[output.length - 1].trim() === "") output.pop();
    return { ...c, kind: "console" as const, output, block: index };
  });
}

/** A link of a Markdown file to a file of the repository or to a heading. */
export interface DocLink {
  /** The file it is in. */
  readonly file: string;
  /** Its 1-based line. */
  readonly line: number;
  /** The target as written, such as `docs/reference.md#signals` or `#safety`. */
  readonly target: string;
}

/**
 * The relative links of a Markdown text, `[text](target)` and
 * `![alt](target)`, outside fenced blocks; links with a scheme
 * (`https:`, `mailto:`) are left out.
 *
 * @param file The file's path, for positions.
 * @param text The Markdown.
 * @returns The links, in order.
 */
export function relativeLinks(file: string, text: string): DocLink[] {
  const inBlock = new Set(
    fencedBlocks(file, text).flatMap((b) => [b.line, ...b.lines.map((l) => l.line)]),
  );
  const out: DocLink[] = [];
  text.split("\n").forEach((content, i) => {
    if (inBlock.has(i + 1)) return;
    // Inline code is not a link, even when it looks like one.
    const prose = content.replace(/`[^`]*`/g, "``");
    for (const match of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      out.push({ file, line: i + 1, target });
    }
  });
  return out;
}

/**
 * The anchors a Markdown text's headings make, as GitHub makes them:
 * lowercase, punctuation dropped, spaces to hyphens, and `-1`, `-2` for
 * repeats.
 *
 * @param file The file's path, to leave out its fenced blocks.
 * @param text The Markdown.
 * @returns The anchors, without `#`.
 */
export function headingAnchors(file: string, text: string): Set<string> {
  const inBlock = new Set(
    fencedBlocks(file, text).flatMap((b) => [b.line, ...b.lines.map((l) => l.line)]),
  );
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  text.split("\n").forEach((content, i) => {
    if (inBlock.has(i + 1)) return;
    const heading = content.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (heading === null) return;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  });
  return anchors;
}
