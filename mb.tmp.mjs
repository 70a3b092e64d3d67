import { rmSync } from 'fs';
import { pino } from 'pino';
import { startServer } from './dist/server/server.js';
import { defaultServerConfig } from './dist/server/config.js';
import { LocalPandoClient } from './dist/server/local-client.js';
rmSync('/tmp/mbsrv', { recursive: true, force: true });
const server = await startServer(defaultServerConfig('/tmp/mbsrv'), pino({ level: 'warn' }));
const svc = server.service;
const user = await svc.authenticate(server.credentials.userToken);
const pilotP = await svc.authenticate(server.credentials.pilotToken);
const client = new LocalPandoClient(svc, user, server.url);
await svc.putBundle(user, 'c7ea' + '0'.repeat(60), new Uint8Array()).catch(()=>{});
import { createHash } from 'crypto';
const code = new Uint8Array([1,2,3]); const hash = createHash('sha256').update(code).digest('hex');
await client.putBundle(hash, code);
const { id: wf } = await client.createWorkflow({ name: 'mb', mode: 'local', bundleHash: hash });
const { id: pilot } = await svc.registerPilot(pilotP, { queue: 'local', name: 'p', slots: 1 });
const t = { submit: 0, acquire: 0, report: 0, results: 0 };
const time = async (k, f) => { const s = performance.now(); const r = await f(); t[k] += performance.now() - s; return r; };
const n = 2000;
for (let i = 0; i < n + 200; i++) {
  if (i === 200) for (const k in t) t[k] = 0;
  const { id: task } = await time('submit', () => client.submitTask(wf, { work: 'noop', bundleHash: hash, seq: i, jobs: [{ key: 'k' + i, args: '[1]' }] }));
  const { jobs } = await time('acquire', () => svc.acquire(pilotP, pilot, { capacity: 1, waitMs: 1000 }));
  await time('report', () => svc.report(pilotP, pilot, { updates: [{ jobId: jobs[0].jobId, attempt: jobs[0].attempt, state: 'finished', result: '1', startedAt: 1, endedAt: 2 }] }));
  await time('results', () => client.taskResults(task, { after: 0, waitMs: 1000, limit: 10000 }));
}
console.log(Object.entries(t).map(([k, v]) => `${k} ${(v / n * 1000).toFixed(0)}us`).join('  '), 'total', (Object.values(t).reduce((a,b)=>a+b)/n*1000).toFixed(0));
await server.close();
