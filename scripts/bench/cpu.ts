/**
 * Where a load phase's CPU goes (scripts/bench/run.ts): the server under test, PostgreSQL (every `postgres` process:
 * the connections' backends, and apart from them the background processes — WAL writer, checkpointer, background
 * writer — whose work lands on whichever phase is running when they run) and this process, the load generator. On
 * this 2-core machine all three share the cores, so their sum per operation bounds the throughput any server could
 * reach here. Read from Linux's /proc; `undefined` where there is none.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface CpuSplit {
  /** CPU milliseconds used during the phase. */
  server: number;
  postgres: number;
  /** The part of `postgres` outside the connections' backends. */
  postgresBackground: number;
  /** The part of `postgres` in the backends of the measured server's own connections (its pool and its relay). */
  postgresOwn: number;
  loadGenerator: number;
}

// USER_HZ: /proc reports clock ticks, 100 a second on Linux.
const TICK_MS = 10;

async function ticksOf(pid: string): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command (which may contain spaces) in parentheses: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
}

/** A backend's process title names its client, `user database host(port) state`; the background processes' do not. */
const BACKEND_TITLE = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[[0-9a-f:.]+\]\(\d+\)|\[local\]/;
const CLIENT_PORT = /\((\d+)\)/;

/** The local TCP ports of a process's sockets (its connections to PostgreSQL among them), from /proc/net. */
async function portsOf(pid: string): Promise<Set<number>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length > 9 && inodes.has(columns[9]!)) ports.add(parseInt(columns[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

async function postgresTicks(): Promise<Map<string, { ticks: number; background: boolean; clientPort?: number }>> {
  const ticks = new Map<string, { ticks: number; background: boolean; clientPort?: number }>();
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() !== 'postgres') continue;
    const title = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const background = !BACKEND_TITLE.test(title);
    const port = background ? undefined : CLIENT_PORT.exec(title)?.[1];
    ticks.set(pid, { ticks: await ticksOf(pid), background, clientPort: port === undefined ? undefined : Number(port) });
  }
  return ticks;
}

export async function cpuDuring<T>(serverPid: number | undefined, run: () => Promise<T>): Promise<{ result: T; cpu?: CpuSplit }> {
  const available = serverPid !== undefined && (await readFile('/proc/self/stat', 'utf8').then(() => true, () => false));
  if (!available) return { result: await run() };
  const [server0, postgres0, self0] = [await ticksOf(String(serverPid)), await postgresTicks(), process.cpuUsage()];
  const result = await run();
  const [server1, postgres1, self1] = [await ticksOf(String(serverPid)), await postgresTicks(), process.cpuUsage(self0)];
  const serverPorts = await portsOf(String(serverPid));
  let postgres = 0;
  let background = 0;
  let own = 0;
  // A process that started during the phase counts from zero; one that ended is lost (the pools keep theirs open).
  for (const [pid, { ticks, background: isBackground, clientPort }] of postgres1) {
    const used = ticks - (postgres0.get(pid)?.ticks ?? 0);
    postgres += used;
    if (isBackground) background += used;
    else if (clientPort !== undefined && serverPorts.has(clientPort)) own += used;
  }
  return {
    result,
    cpu: { server: (server1 - server0) * TICK_MS, postgres: postgres * TICK_MS, postgresBackground: background * TICK_MS, postgresOwn: own * TICK_MS, loadGenerator: (self1.user + self1.system) / 1000 },
  };
}
