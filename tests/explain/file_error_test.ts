import assert from "node:assert/strict";
import { fileErrorWords } from "../../lib/explain/file_error.ts";
import { runMuxd } from "../_support/process.ts";

/** What a synchronous file operation threw. */
function thrown(operation: () => unknown): unknown {
  try {
    operation();
  } catch (error) {
    return error;
  }
  assert.fail("the operation did not fail");
}

Deno.test("fileErrorWords() says why a path failed in words, without repeating the path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-file-error-" });
  try {
    await Deno.writeTextFile(`${dir}/file`, "x");
    await Deno.symlink(`${dir}/loop`, `${dir}/loop`);
    const cases: [unknown, string][] = [
      [thrown(() => Deno.readTextFileSync(`${dir}/missing`)), "no such file"],
      [thrown(() => Deno.readTextFileSync(dir)), "it is a folder, not a file"],
      [
        thrown(() => Deno.readTextFileSync(`${dir}/file/x`)),
        "a part of its path is a file, not a folder",
      ],
      [
        thrown(() => Deno.readTextFileSync(`${dir}/loop`)),
        "its path goes round a loop of symbolic links",
      ],
      [
        thrown(() => Deno.readTextFileSync(`${dir}/${"a".repeat(300)}`)),
        "its name is too long for a file",
      ],
    ];
    for (const [error, words] of cases) assert.equal(fileErrorWords(error, "no such file"), words);
    // A missing file or folder means what the caller says it means.
    assert.equal(
      fileErrorWords(cases[0][0], "its folder does not exist"),
      "its folder does not exist",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileErrorWords() says that a Unix socket is not a file, and that Deno opens /dev/stdin only with --allow-all, rather than Deno's advice to run with it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-file-error-" });
  try {
    using _socket = Deno.listen({ transport: "unix", path: `${dir}/socket` });
    assert.equal(
      fileErrorWords(thrown(() => Deno.readTextFileSync(`${dir}/socket`)), "no such file"),
      "it is a socket, or a device with nothing behind it, not a file",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // The test runs without --allow-all, as muxd does.
  const stdin = thrown(() => Deno.openSync("/dev/stdin"));
  assert.ok(stdin instanceof Deno.errors.NotCapable, String(stdin));
  assert.match(
    fileErrorWords(stdin, "no such file"),
    /^Deno opens it only with every permission \(--allow-all\), .*; name a regular file$/,
  );
});

Deno.test("muxd check -c /dev/stdin and -c on a Unix socket are one line each, in words", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-file-error-" });
  try {
    using _socket = Deno.listen({ transport: "unix", path: `${dir}/socket` });
    const socket = await runMuxd(["check", "-c", `${dir}/socket`]);
    assert.equal(socket.code, 2, socket.stderr);
    assert.equal(
      socket.stderr,
      `muxd: ${dir}/socket: cannot read config file: it is a socket, or a device with nothing ` +
        "behind it, not a file\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const stdin = await runMuxd(["check", "-c", "/dev/stdin"]);
  assert.equal(stdin.code, 2, stdin.stderr);
  assert.match(stdin.stderr, /^muxd: \/dev\/stdin: cannot read config file: Deno opens it only /);
  assert.doesNotMatch(stdin.stderr, /run again/);
});

Deno.test("fileErrorWords() keeps the OS's words of an error it has no words for, and drops Deno's path after them", () => {
  const error = Object.assign(new Error("Text file busy (os error 26): open '/tmp/x'"), {
    code: "ETXTBSY",
  });
  assert.equal(fileErrorWords(error, "no such file"), "Text file busy (os error 26)");
  assert.equal(fileErrorWords("odd", "no such file"), "odd");
});

Deno.test("fileErrorWords() names the open-files limit when muxd has used it up (a reload while connections hold every file)", () => {
  const error = Object.assign(new Error("Too many open files (os error 24): open '/tmp/c.json'"), {
    code: "EMFILE",
  });
  assert.match(fileErrorWords(error, "no such file"), /^too many open files: .*\(ulimit -n\)/);
});
