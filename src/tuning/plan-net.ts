// Owns planning of tc shaping on a guest's tap, pure given the tap's current tc state and the kernel's
// tc features. `in` (traffic to the guest) = root HTB on the tap's egress, sfq leaf where the kernel has
// it. `out` (traffic from the guest) = ingress policing where act_police works, else ingress + mirred
// redirect to an IFB device with an HTB there. Every step carries the argv that undoes it, so undo
// leaves the tap's qdiscs exactly as they were; a root/ingress qdisc virtune did not create is refused.

import { VirtuneError } from '../engine/model/errors.js';
import type { NetDirection, PlanStep, TuningChange } from '../engine/model/tuning.js';
import type { PlanCtx } from './plan-context.js';
import type { HtbClass, TapState, TcCaps } from './tc.js';
import { tcRateArg, tcSizeArg } from '../engine/model/units.js';

export interface NetEnv { caps: TcCaps; state: TapState; prefix: string[] }

/** Root qdiscs a host puts on a tap by itself; replacing one and putting it back is exact. */
const DEFAULT_ROOTS = new Set(['noqueue', 'pfifo_fast', 'fq_codel', 'pfifo', 'fq']);

function htbArgs(d: NetDirection): string[] {
  const a = ['rate', tcRateArg(d.rateKbit), 'ceil', tcRateArg(d.peakKbit ?? d.rateKbit)];
  if (d.burstBytes !== null) a.push('burst', tcSizeArg(d.burstBytes));
  return a;
}

function classArgs(c: HtbClass): string[] {
  const a = ['rate', c.rate];
  if (c.ceil) a.push('ceil', c.ceil);
  if (c.burst) a.push('burst', c.burst);
  return a;
}

function policeBurst(d: NetDirection): string {
  return tcSizeArg(Math.max(16384, Math.round((d.rateKbit * 1000) / 8 / 10)));
}

export function planNet(ctx: PlanCtx, c: Extract<TuningChange, { kind: 'net' }>, env: NetEnv): void {
  const { state, caps, prefix } = env;
  const dev = state.ifname;
  if (caps.assumed && !ctx.warnings.includes(caps.assumed)) ctx.warnings.push(caps.assumed);
  const tc = (...a: string[]): string[] => [...prefix, 'tc', ...a];
  const ip = (...a: string[]): string[] => [...prefix, 'ip', ...a];
  const push = (argv: string[], undo?: string[][], note?: string): void => {
    const s: PlanStep = { kind: 'exec', argv };
    if (undo) s.undo = undo;
    if (note) s.note = note;
    ctx.steps.push(s);
  };

  if (c.in !== undefined) {
    const root = state.qdiscs.find((q) => q.root);
    const ours = root?.kind === 'htb' && root.handle === '1:' && state.classes.some((k) => k.classid === '1:1');
    const cls = state.classes.find((k) => k.classid === '1:1');
    const hasSfq = state.qdiscs.some((q) => q.kind === 'sfq' && q.parent === '1:1');
    const rebuild = (k: HtbClass): string[][] => {
      const r = [tc('qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '1'),
        tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', ...classArgs(k))];
      if (hasSfq) r.push(tc('qdisc', 'add', 'dev', dev, 'parent', '1:1', 'handle', '2:', 'sfq', 'perturb', '10'));
      return r;
    };
    if (c.in === 'none') {
      if (ours && cls) push(tc('qdisc', 'del', 'dev', dev, 'root'), rebuild(cls), `remove shaping to the guest on ${dev}`);
      else ctx.warnings.push(`${dev}: no virtune shaping of traffic to the guest to remove`);
    } else if (ours && cls) {
      push(tc('class', 'change', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', ...htbArgs(c.in)),
        [tc('class', 'change', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', ...classArgs(cls))],
        `traffic to the guest: ${cls.rate} -> ${tcRateArg(c.in.rateKbit)}`);
    } else {
      if (root && !DEFAULT_ROOTS.has(root.kind)) {
        throw new VirtuneError(2, `${dev} already has a root qdisc '${root.kind}' (handle ${root.handle}) that virtune did not create; remove it first (tc qdisc del dev ${dev} root)`);
      }
      // the kernel's own default root has handle 0: and comes back by itself when ours is deleted;
      // one added explicitly (e.g. libvirt's noqueue) is put back with its kind and handle
      const undo = root && root.handle !== '0:'
        ? [tc('qdisc', 'replace', 'dev', dev, 'root', 'handle', root.handle, root.kind)]
        : [tc('qdisc', 'del', 'dev', dev, 'root')];
      push(tc('qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '1'), undo,
        `traffic to the guest: root HTB on ${dev} (was ${root ? root.kind : 'the default'})`);
      push(tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', ...htbArgs(c.in)));
      if (caps.sfq) push(tc('qdisc', 'add', 'dev', dev, 'parent', '1:1', 'handle', '2:', 'sfq', 'perturb', '10'));
      else ctx.warnings.push(`${dev}: this kernel has no sfq qdisc; the HTB class keeps its default FIFO leaf`);
    }
  }

  if (c.out !== undefined) {
    const ingress = state.qdiscs.some((q) => q.kind === 'ingress');
    const viaPolice = ingress && /\bpolice\b/.test(state.ingressFilters);
    const viaIfb = ingress && state.ifb.exists && /mirred/.test(state.ingressFilters);
    const ifb = state.ifb.name;
    const policeRate = /\brate (\S+)/.exec(state.ingressFilters)?.[1] ?? null;
    const policeBurstOld = /\bburst (\S+)/.exec(state.ingressFilters)?.[1] ?? '16k';
    const ifbCls = state.ifb.classes.find((k) => k.classid === '1:1');
    const addPolice = (rate: string, burst: string): string[][] => [
      tc('qdisc', 'add', 'dev', dev, 'handle', 'ffff:', 'ingress'),
      tc('filter', 'add', 'dev', dev, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0',
        'police', 'rate', rate, 'burst', burst, 'mtu', '64kb', 'drop', 'flowid', ':1')];
    const addIfb = (args: string[]): string[][] => [
      ip('link', 'add', ifb, 'type', 'ifb'), ip('link', 'set', ifb, 'up'),
      tc('qdisc', 'add', 'dev', ifb, 'root', 'handle', '1:', 'htb', 'default', '1'),
      tc('class', 'add', 'dev', ifb, 'parent', '1:', 'classid', '1:1', 'htb', ...args),
      tc('qdisc', 'add', 'dev', dev, 'handle', 'ffff:', 'ingress'),
      tc('filter', 'add', 'dev', dev, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0',
        'action', 'mirred', 'egress', 'redirect', 'dev', ifb)];
    if (ingress && !viaPolice && !viaIfb) {
      throw new VirtuneError(2, `${dev} already has an ingress qdisc that virtune did not create; remove it first (tc qdisc del dev ${dev} ingress)`);
    }
    // take down what is there (with undo that rebuilds it exactly)
    if (viaIfb && ifbCls && c.out !== 'none') {
      push(tc('class', 'change', 'dev', ifb, 'parent', '1:', 'classid', '1:1', 'htb', ...htbArgs(c.out)),
        [tc('class', 'change', 'dev', ifb, 'parent', '1:', 'classid', '1:1', 'htb', ...classArgs(ifbCls))],
        `traffic from the guest (via ${ifb}): ${ifbCls.rate} -> ${tcRateArg(c.out.rateKbit)}`);
    } else {
      if (viaIfb) {
        const rebuild = addIfb(ifbCls ? classArgs(ifbCls) : ['rate', '1mbit']);
        push(tc('qdisc', 'del', 'dev', dev, 'ingress'), rebuild.slice(4), `remove ingress redirect on ${dev}`);
        push(ip('link', 'del', ifb), rebuild.slice(0, 4));
      } else if (viaPolice) {
        push(tc('qdisc', 'del', 'dev', dev, 'ingress'), addPolice(policeRate ?? '1mbit', policeBurstOld), `remove ingress policing on ${dev}`);
      } else if (c.out === 'none') {
        ctx.warnings.push(`${dev}: no virtune shaping of traffic from the guest to remove`);
      }
      if (c.out !== 'none') {
        if (caps.police) {
          const [q, f] = addPolice(tcRateArg(c.out.rateKbit), policeBurst(c.out)) as [string[], string[]];
          push(q, [tc('qdisc', 'del', 'dev', dev, 'ingress')], `traffic from the guest: ingress policing on ${dev}`);
          push(f);
        } else if (caps.ifb) {
          const steps = addIfb(htbArgs(c.out));
          ctx.warnings.push(`${dev}: this kernel has no act_police; traffic from the guest is redirected to ${ifb} and shaped there`);
          push(steps[0] as string[], [ip('link', 'del', ifb)], `traffic from the guest: IFB ${ifb} with HTB`);
          for (const s of steps.slice(1, 4)) push(s);
          push(steps[4] as string[], [tc('qdisc', 'del', 'dev', dev, 'ingress')]);
          push(steps[5] as string[]);
        } else {
          throw new VirtuneError(1, `${dev}: this kernel has neither act_police nor ifb, so traffic from the guest cannot be limited`);
        }
      }
    }
  }
}
