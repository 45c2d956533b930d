// The daemon's unix sockets under pressure, as a real daemon and a real unprivileged user (useradd,
// removed in afterAll): started under umask 000, the read-write socket (0600, root only) never
// accepts that user — connecting in a tight loop to the final path and to anything beside it while
// the daemon starts, five starts in a row — while the read-only socket does; and 2000 connections
// from one user to the read-only socket leave the daemon answering `status` to others quickly (the
// per-peer cap refuses the excess at once).

import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUnix } from '../../src/engine/node/unix-socket.js';
import { connectEngine } from '../../src/engine/rpc/client.js';
import { useLab } from '../helpers/lab.js';
import { exited, startServe } from '../helpers/daemon.js';
import { LocalUsers, nodeAs, openDir } from './access-lab.js';

/**
 * as USER: connects to RW the moment inotify (fs.watch) reports it and in 16 parallel loops as fast
 * as they can, one loop trying every `.vt-*` entry beside it, and one trying RO, until STOP exists
 */
const PROBE = `const net=require('net'),fs=require('fs'),path=require('path');
const [rw,ro,stop]=process.argv.slice(1);const dir=path.dirname(rw);
let rwOk=0,roOk=0,tries=0,privOk=0,done=false;
const tryc=(p)=>new Promise(r=>{const s=net.createConnection(p);s.once('connect',()=>{s.destroy();r(true)});s.once('error',()=>r(false));});
const poll=setInterval(()=>{if(fs.existsSync(stop))done=true;},20);
const onEv=()=>{for(let i=0;i<4;i++){tries++;tryc(rw).then(ok=>{if(ok)rwOk++;});}};
const w=fs.watch(dir,(ev,f)=>{if(f==='rw.sock')onEv();});
const rwLoop=async()=>{while(!done){tries++;if(await tryc(rw))rwOk++;}};
const privLoop=async()=>{while(!done){let any=false;try{for(const e of fs.readdirSync(dir)){if(e.startsWith('.vt-')){any=true;if(await tryc(path.join(dir,e,'s')))privOk++;}}}catch{}
 if(!any)await new Promise(r=>setImmediate(r));}};
const roLoop=async()=>{while(!done){if(await tryc(ro))roOk++;await new Promise(r=>setTimeout(r,5));}};
Promise.all([...Array.from({length:16},rwLoop),privLoop(),roLoop()]).then(()=>{clearInterval(poll);w.close();
 process.stdout.write(JSON.stringify({tries,rwOk,roOk,privOk}));});`;

/** as USER: open N connections to SOCK (200 at a time), hold what the daemon keeps, report */
const FLOOD = `const net=require('net');const [p,n]=process.argv.slice(1);const N=Number(n);
let connected=0,refused=0,errors=0,open=new Set();
const one=()=>new Promise(r=>{const s=net.createConnection(p);let b='';
 s.once('connect',()=>{connected++;open.add(s);});
 s.on('data',d=>{b+=d;if(b.includes('too many connections'))refused++;});
 s.once('error',()=>{errors++;});s.once('close',()=>{open.delete(s);r();});
 setTimeout(r,1500);});
(async()=>{for(let i=0;i<N;i+=200){await Promise.all(Array.from({length:Math.min(200,N-i)},one));}
 process.stdout.write(JSON.stringify({connected,refused,errors,held:open.size})+'\\n');
 setTimeout(()=>process.exit(0),4000);})();`;

describe('unix sockets: no mode window, per-peer connection cap (real daemon, real user)', () => {
  const lab = useLab();
  let users: LocalUsers;
  let eve: { name: string; uid: number };
  beforeAll(() => { users = new LocalUsers(); eve = users.user('e'); });
  afterAll(() => { users.removeAll(); });

  it('never lets another user connect to the read-write socket while it starts under umask 000', async () => {
    for (let start = 0; start < 5; start++) {
      const dir = openDir(lab, 'virtune-umask');
      const rw = path.join(dir, 'rw.sock');
      const ro = path.join(dir, 'ro.sock');
      const stop = path.join(dir, 'stop');
      const probe = nodeAs(eve.name, PROBE, [rw, ro, stop], { timeoutMs: 90_000 });
      await new Promise((r) => setTimeout(r, 300)); // the loop is running before the daemon starts
      const d = await startServe(lab, ['--demo', '1'], ['--listen', `unix:${rw}`, '--listen-ro', `unix:${ro}`], /read-only/, { shellUmask: '000' });
      expect(statSync(rw).mode & 0o777).toBe(0o600);
      expect(statSync(ro).mode & 0o777).toBe(0o666);
      expect(readdirSync(dir).filter((e) => e.startsWith('.vt-'))).toEqual([]); // the private directory is gone
      await new Promise((r) => setTimeout(r, 500));
      writeFileSync(stop, '');
      const res = JSON.parse((await probe).stdout) as { tries: number; rwOk: number; roOk: number; privOk: number };
      expect(res.rwOk).toBe(0);
      expect(res.privOk).toBe(0);
      expect(res.roOk).toBeGreaterThan(0); // the loop did reach the daemon once it listened
      expect(res.tries).toBeGreaterThan(100);
      d.child.kill('SIGTERM');
      expect(await exited(d.child)).toBe(0);
    }
  });

  it('2000 connections from one user leave the daemon answering status; the excess is refused at once', async () => {
    const dir = openDir(lab, 'virtune-flood');
    const ro = path.join(dir, 'ro.sock');
    await startServe(lab, ['--demo', '2'], ['--listen-ro', `unix:${ro}`], /read-only/);
    const flood = nodeAs(eve.name, FLOOD, [ro, '2000'], { timeoutMs: 120_000 });
    // another peer (root) asks for status throughout the flood, each time on a fresh connection
    const during: number[] = [];
    let done = false;
    const result = flood.then((r) => { done = true; return r; });
    const status = async (): Promise<number> => {
      const t0 = performance.now();
      const api = connectEngine(await connectUnix(ro));
      const st = await api.status();
      const ms = performance.now() - t0;
      await api.close();
      expect(st.readOnly).toBe(true);
      return ms;
    };
    while (!done) {
      during.push(await status());
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await result;
    const stats = JSON.parse(r.stdout.trim().split('\n')[0]!) as { connected: number; refused: number; errors: number; held: number };
    expect(stats.connected + stats.errors).toBe(2000);
    expect(stats.held).toBeLessThanOrEqual(64); // the per-peer cap
    expect(stats.refused).toBeGreaterThan(1000); // refused with a reply, not left hanging
    const after: number[] = [];
    for (let i = 0; i < 5; i++) after.push(await status());
    after.sort((a, b) => a - b);
    expect(during.length).toBeGreaterThan(0);
    expect(after[2]).toBeLessThan(100);
    console.log(`status round trip during the flood: ${during.map((x) => x.toFixed(1)).join(', ')} ms; after: ${after.map((x) => x.toFixed(1)).join(', ')} ms`);
  });
});
