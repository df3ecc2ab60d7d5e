import { readFile } from 'node:fs/promises';
const [file, fn] = process.argv.slice(2);
const p = JSON.parse(await readFile(file!, 'utf8'));
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
p.samples.forEach((id: number, i: number) => self.set(id, (self.get(id) ?? 0) + p.timeDeltas[i]));
const stacks = new Map<string, number>();
let total = 0;
for (const [id, t] of self) {
  const n = byId.get(id);
  if (n.callFrame.functionName !== fn) continue;
  total += t;
  const chain: string[] = [];
  let cur = parent.get(id);
  while (cur !== undefined && chain.length < 8) { const c = byId.get(cur).callFrame; chain.push(`${c.functionName || '(anon)'}@${c.url.replace(/^.*\//, '')}:${c.lineNumber + 1}`); cur = parent.get(cur); }
  const key = chain.join(' < ');
  stacks.set(key, (stacks.get(key) ?? 0) + t);
}
for (const [k, t] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log((t / 1000).toFixed(0).padStart(7), 'ms', k);
console.log('total', (total / 1000).toFixed(0), 'ms');
