// Owns one fuzz run, in a worker thread so the parent can stop a hang: the built collector (dist/) samples
// copies of the fixture host trees in-process, case after case, each case mutating one kernel file
// under the root or one recorded QMP reply (served through the QMP client's own message parser to the
// QMP enricher). A case fails on a crash (the sampler or derive throws), an impossible value in the raw
// sample (a number out of the kernel's range, a run state QEMU does not have, a list beyond NR_CPUS), or
// a non-finite number in the derived snapshot. Before each case the worker posts a heartbeat; the parent
// declares a hang when one case takes too long.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createHostSampler } from '../../dist/collector/host-sampler.js';
import { createQmpEnricher } from '../../dist/collector/qmp/enricher.js';
import { derive } from '../../dist/engine/core/derive.js';
import { NodeHostFs } from '../../dist/engine/node/node-host-fs.js';
import { parseQmpMessage } from '../../dist/engine/node/socket-qmp.js';
import { QmpCommandError } from '../../dist/engine/ports/qmp.js';

const { roots, transcripts, cases, seed } = workerData;
const ALL = new Set(['discovery', 'counters', 'numa', 'qmp', 'qmpSlow', 'settings', 'static']);

// ---- deterministic randomness (mulberry32) ----
let state = seed >>> 0;
const rnd = () => { state = (state + 0x6d2b79f5) >>> 0; let t = state; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];

const EXTREME = ['-1', '0', '9007199254740993', '18446744073709551615', '99999999999999999999999999', '1e308', '-9223372036854775808',
  '4294967296', 'NaN', '', '0x10', '1.5', '-0', '0-9007199254740993', '4194305'];

/** One text mutation: a number token replaced by an extreme, truncation, garbage, repetition, emptiness. */
function mutateText(text) {
  const k = Math.floor(rnd() * 7);
  if (k <= 2) {
    const nums = [...text.matchAll(/-?\d+/g)];
    if (nums.length > 0) {
      const m = pick(nums);
      return text.slice(0, m.index) + pick(EXTREME) + text.slice(m.index + m[0].length);
    }
  }
  if (k === 3) return text.slice(0, Math.floor(rnd() * text.length));
  if (k === 4) {
    const at = Math.floor(rnd() * (text.length + 1));
    const junk = pick(['\0\0\0', '\n\n\n', ' : = , - ', '\u00ff\u00fe', 'x'.repeat(70_000), '\n' + '1 2 3 4 5 6 7 8 9 10\n'.repeat(5000)]);
    return text.slice(0, at) + junk + text.slice(at);
  }
  if (k === 5) { const lines = text.split('\n'); const l = pick(lines); return lines.concat(Array(2000).fill(l)).join('\n'); }
  return '';
}

const EXTREME_JSON = [-1, 1e308, -1e308, 2 ** 64, 9007199254740993, 1.5, 0, null, 'running2', '', [], {}, true, 'x'.repeat(10_000), [1, 2, 3]];

/** One structural mutation of a JSON value: a random leaf (or container) replaced by an extreme. */
function mutateJson(v) {
  const slots = [];
  const walk = (o) => {
    if (o === null || typeof o !== 'object') return;
    for (const k of Object.keys(o)) { slots.push([o, k]); walk(o[k]); }
  };
  walk(v);
  if (slots.length === 0) return pick(EXTREME_JSON);
  const [o, k] = pick(slots);
  o[k] = pick(EXTREME_JSON);
  return v;
}

// ---- the trees: every regular file under proc/ and sys/ is a candidate ----
function filesUnder(root) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else if (e.isFile()) out.push(p);
    }
  };
  for (const top of ['proc', 'sys']) { try { walk(path.join(root, top)); } catch { /* not in this tree */ } }
  return out;
}
const trees = roots.map((r) => ({ ...r, files: filesUnder(r.root) }));
const lines = Object.fromEntries(Object.entries(transcripts).map(([k, t]) => [k, t.split('\n').filter((l) => l.trim() !== '')]));

/** A QmpConnector answering from a transcript; one command's reply line mutated when asked. */
function transcriptQmp(name, mutate) {
  const tl = lines[name] ?? [];
  const greeting = tl[0] ? JSON.parse(tl[0]) : {};
  return {
    async connect() {
      return {
        greeting, closed: false,
        async execute(command) {
          const line = tl.find((l) => l.includes(`"execute":"${command}"`));
          if (!line) throw new QmpCommandError(command, { class: 'CommandNotFound', desc: `The command ${command} has not been found` });
          let text = line;
          if (mutate && mutate.command === command) {
            text = mutate.structural ? JSON.stringify(mutateJson(JSON.parse(line))) : mutateText(line);
          }
          const msg = parseQmpMessage(text); // the client's own parser (lossless big integers)
          if (msg.error) throw new QmpCommandError(command, msg.error);
          return msg.return;
        },
        takeEvents: () => [], onEvent: () => () => {}, async close() {},
      };
    },
  };
}

// ---- invariants ----
const PID_MAX = 4194304;
const RANGE = { tid: [1, PID_MAX], pid: [1, PID_MAX], index: [0, 8191], lastCpu: [0, 8191], node: [0, 1023], weight: [1, 10000], shares: [2, 262144], periodUsec: [1000, 1000000] };
const STATES = new Set(['debug', 'inmigrate', 'internal-error', 'io-error', 'paused', 'postmigrate', 'prelaunch', 'finish-migrate', 'restore-vm',
  'running', 'save-vm', 'shutdown', 'suspended', 'watchdog', 'guest-panicked', 'colo', 'shut off', 'crashed', 'pmsuspended', 'blocked', 'in shutdown',
  'idle', 'no state', 'dying', 'shutoff', 'nostate']);
const LIST_KEYS = new Set(['cpus', 'cpuset', 'cpusetEffective', 'cpusAllowed', 'onlineCpus', 'mems', 'memsEffective']);

function impossible(raw) {
  const bad = [];
  const walk = (o, where, inGuest) => {
    for (const [k, v] of Object.entries(o)) {
      if (k === 'errors' || k === 'extra') continue;
      const here = `${where}.${k}`;
      if (typeof v === 'number') {
        const [lo, hi] = RANGE[k] ?? [0, Number.MAX_SAFE_INTEGER];
        if (!Number.isFinite(v) || v < lo || v > hi || (RANGE[k] && !Number.isInteger(v))) bad.push(`${here}=${v}`);
      } else if (typeof v === 'string') {
        if (inGuest && k === 'state' && !STATES.has(v)) bad.push(`${here}=${JSON.stringify(v.slice(0, 30))}`);
        if (LIST_KEYS.has(k) && v !== 'max' && (v.length > 20_000 || /\d{7,}/.test(v) || !/^[\d,\-\s]*$/.test(v))) bad.push(`${here}=${JSON.stringify(v.slice(0, 30))}`);
      } else if (v !== null && typeof v === 'object') {
        walk(v, here, inGuest);
      }
    }
  };
  walk(raw.host, 'host', false);
  for (const g of raw.guests) walk(g, `guest ${g.id}`, true);
  return bad;
}

function nonFinite(snap) {
  const bad = [];
  const walk = (o, where) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number' && !Number.isFinite(v)) bad.push(`${where}.${k}=${v}`);
      else if (v !== null && typeof v === 'object') walk(v, `${where}.${k}`);
    }
  };
  walk(snap, 'snapshot');
  return bad;
}

class Clock {
  constructor() { this.t = 1000; }
  monoMs() { return this.t; }
  wallMs() { return 1764090000000 + this.t; }
  sleep(ms, signal) { return new Promise((res, rej) => { const t = setTimeout(res, ms); signal?.addEventListener("abort", () => { clearTimeout(t); rej(new Error("aborted")); }, { once: true }); }); }
}

async function runCase(i) {
  const tree = pick(trees);
  const clock = new Clock();
  const qmpCase = tree.transcript && rnd() < 0.35;
  let mutate = null;
  let file = null;
  let original = null;
  let what;
  if (qmpCase) {
    const cmds = lines[tree.transcript].slice(1).map((l) => /"execute":"([^"]+)"/.exec(l)?.[1]).filter(Boolean);
    mutate = { command: pick(cmds), structural: rnd() < 0.6 };
    what = `QMP ${tree.transcript} ${mutate.command} (${mutate.structural ? 'structural' : 'text'})`;
  } else {
    file = pick(tree.files);
    original = readFileSync(file, 'latin1');
    const next = mutateText(original);
    writeFileSync(file, next, 'latin1');
    what = `${path.relative(tree.root, file)} := ${JSON.stringify(next.length > 80 ? next.slice(0, 80) + '…' : next)}`;
  }
  parentPort.postMessage({ beat: i, what, tree: tree.name });
  const fs = new NodeHostFs(tree.root);
  const enrichers = tree.transcript ? [createQmpEnricher({ fs, qmp: transcriptQmp(tree.transcript, mutate), runner: { has: () => false, run: async () => { throw new Error('no commands'); } }, clock, libvirtUri: null, useVirsh: false })] : [];
  const sampler = createHostSampler({ fs, clock, enrichers });
  try {
    const a = await sampler.sample({ tasks: ALL });
    clock.t += 1000;
    const b = await sampler.sample({ tasks: ALL });
    const bad = [...impossible(a), ...impossible(b)];
    if (bad.length > 0) return { case: i, what, reason: `impossible value without being nulled: ${bad.slice(0, 3).join(', ')}` };
    const snap = derive(a, b);
    const nf = nonFinite(snap);
    if (nf.length > 0) return { case: i, what, reason: `non-finite derived value: ${nf.slice(0, 3).join(', ')}` };
    return null;
  } catch (e) {
    return { case: i, what, reason: `crash: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e)}` };
  } finally {
    await sampler.close().catch(() => {});
    fs.close();
    if (file !== null) writeFileSync(file, original, 'latin1');
  }
}

const failures = [];
for (let i = 0; i < cases; i++) {
  const f = await runCase(i);
  if (f) { failures.push(f); parentPort.postMessage({ failure: f }); if (failures.length >= 20) break; }
}
parentPort.postMessage({ done: true, cases, failures: failures.length });
