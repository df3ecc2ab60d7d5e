/**
 * Summarises a V8 .cpuprofile (from `BENCH_CPU_PROF=<dir> npm run bench`): self time by function and by package.
 * Usage: npx tsx scripts/bench/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFile } from 'node:fs/promises';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const profile = JSON.parse(await readFile(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const pkg = (url: string) => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.includes('/src/')) return 'src';
  if (url.startsWith('node:')) return 'node:internal';
  return url ? url.replace(/^.*\//, '') : '(native/gc/idle)';
};
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, time] of self) {
  const node = byId.get(id)!;
  const key = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*node_modules\//, '')}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  byPackage.set(pkg(node.callFrame.url), (byPackage.get(pkg(node.callFrame.url)) ?? 0) + time);
}
const show = (title: string, map: Map<string, number>, top: number) => {
  console.log(`\n${title}`);
  for (const [key, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * time) / total).toFixed(1).padStart(5)} %  ${key}`);
};
show('self time by package', byPackage, 25);
show('self time by function', byFunction, Number(topArg ?? 40));
