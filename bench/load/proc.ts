/**
 * What the load benchmark reads from Linux's /proc: a server's CPU time and
 * resident memory (with those of the processes it forked), and a
 * description of the machine.
 *
 * @module
 */

/** Clock ticks a second in /proc/PID/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * The CPU time a process has used, user plus system, in seconds. With
 * `children`, the time of the children it has waited for is added, which
 * counts the work of a server that forks per connection.
 *
 * @param pid The process.
 * @param children Add the reaped children's time (cutime + cstime).
 * @returns CPU seconds, at 10 ms resolution.
 * @throws {Deno.errors.NotFound} When the process is gone.
 */
export function cpuSeconds(pid: number, children = true): number {
  const fields = statFields(pid);
  // After "pid (comm)": state is field 3, so utime (14) is index 11.
  let ticks = Number(fields[11]) + Number(fields[12]);
  if (children) ticks += Number(fields[13]) + Number(fields[14]);
  return ticks / TICKS_PER_SECOND;
}

/**
 * The CPU time of a process and of every process it forked, live or reaped,
 * in seconds: what a server that forks per connection costs in all.
 *
 * @param pid The process.
 * @returns CPU seconds, at 10 ms resolution.
 */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const child of descendants(pid)) {
    try {
      total += cpuSeconds(child);
    } catch (error) {
      // Gone meanwhile: its time is now in its parent's cutime, or lost with it.
      if (!isGone(error)) throw error;
    }
  }
  return total;
}

/**
 * Whether an error means that the process went away: its /proc entry is
 * gone (NotFound), or it exited while its file was read or before it was
 * signalled (ESRCH, which Deno reports as a plain Error).
 *
 * @param error Any thrown value.
 * @returns `true` for a process that is no more.
 */
export function isGone(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    (error instanceof Error && error.message.includes("(os error 3)"));
}

/**
 * Whether a process is still there (a zombie is, until reaped).
 *
 * @param pid The process.
 * @returns `true` while /proc lists it.
 */
export function isRunning(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

function statFields(pid: number): string[] {
  const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** What the whole machine's CPUs have done since boot, in seconds (all CPUs added up). */
export interface MachineTimes {
  /** Busy: user, nice, system, irq, softirq and steal. */
  readonly busy: number;
  /** Of that, softirq: mostly the network stack, charged to no process. */
  readonly softirq: number;
}

/**
 * The machine's CPU times, from the first line of /proc/stat.
 *
 * @returns Busy and softirq seconds since boot.
 */
export function machineTimes(): MachineTimes {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/)
    .slice(1).map(Number);
  return {
    busy: (user + nice + system + irq + softirq + (steal ?? 0)) / TICKS_PER_SECOND,
    softirq: softirq / TICKS_PER_SECOND,
  };
}

/**
 * A process's resident set size, VmRSS, in KiB.
 *
 * @param pid The process.
 * @returns KiB, or 0 when the process is gone.
 */
export function rssKiB(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : 0;
  } catch (error) {
    if (isGone(error)) return 0;
    throw error;
  }
}

/**
 * Every live descendant of a process (children, their children, ...).
 *
 * @param pid The process.
 * @returns Their process ids, nearest first.
 */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let ppid: number;
    try {
      ppid = Number(statFields(Number(entry.name))[1]);
    } catch (error) {
      if (isGone(error)) continue; // exited meanwhile
      throw error;
    }
    const list = parents.get(ppid) ?? [];
    list.push(Number(entry.name));
    parents.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * The resident memory of a process and all its descendants, in KiB. For a
 * server that forks per connection this counts the shared pages of every
 * child again, as VmRSS does; it is what `ps` and `top` would add up.
 *
 * @param pid The process.
 * @returns KiB.
 */
export function treeRssKiB(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, p) => sum + rssKiB(p), 0);
}

/**
 * Sends SIGKILL to the descendants of a process this benchmark started
 * (found before any is killed, so none is missed by being re-parented).
 *
 * @param pid The process; it is not signalled itself.
 */
export function killDescendants(pid: number): void {
  for (const child of descendants(pid).reverse()) {
    try {
      Deno.kill(child, "SIGKILL");
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
}

/** The machine a run measured. */
export interface Machine {
  /** Logical CPUs. */
  readonly cpus: number;
  /** The CPU model, from /proc/cpuinfo. */
  readonly model: string;
  /** The kernel release. */
  readonly kernel: string;
  /** Memory, in GiB. */
  readonly memoryGiB: number;
  /** Deno's version. */
  readonly deno: string;
  /** Node's version, or why it is not known. */
  readonly node: string;
}

/**
 * Describes this machine from /proc, without any permission but reading.
 *
 * @param nodeVersion Node's version, if the caller could ask node.
 * @returns The description.
 */
export function describeMachine(nodeVersion = "not asked"): Machine {
  const cpuinfo = readOr("/proc/cpuinfo", "");
  const meminfo = readOr("/proc/meminfo", "");
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  return {
    cpus: (cpuinfo.match(/^processor\s*:/gm) ?? []).length || navigator.hardwareConcurrency,
    model: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    kernel: readOr("/proc/sys/kernel/osrelease", "unknown").trim(),
    memoryGiB: Math.round(memKiB / 1024 / 1024),
    deno: Deno.version.deno,
    node: nodeVersion,
  };
}

function readOr(path: string, fallback: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      return fallback;
    }
    throw error;
  }
}
