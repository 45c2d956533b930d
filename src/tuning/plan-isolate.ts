// Owns --isolate: the steps that give a guest without a cgroup of its own one: `virtune.slice/<guest>`
// on v2 (controllers enabled on the way down), `/virtune/<guest>` under each v1 controller (cpu,
// cpuacct, cpuset, blkio — never memory: on v1 the memory controller is skipped), cpuset.cpus/mems set
// before tasks join, then the QEMU process moved in (undo moves it back and removes the groups).

import type { RawGuest } from '../engine/model/sample.js';
import type { GuestCgroups } from './guest.js';
import { readCurrent, type PlanCtx } from './plan-context.js';
import { tryRead } from './guest.js';

export const V1_ISOLATE_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'blkio'] as const;

/** A cgroup directory name from a guest name: safe characters only. Pure. */
export function isolateName(g: RawGuest): string {
  const n = g.name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[._]+/, '');
  return n === '' ? `pid${g.pid}` : n;
}

export function planIsolate(ctx: PlanCtx, cg: GuestCgroups): GuestCgroups {
  const g = ctx.guest as RawGuest;
  const name = isolateName(g);
  if (cg.version === 2) {
    const mount = cg.mount('cpu');
    const slice = `${mount}/virtune.slice`;
    const dir = `${slice}/${name}`;
    if (!ctx.fs.exists(slice)) ctx.steps.push({ kind: 'cgroup-create', path: slice });
    const want = ['cpu', 'cpuset', 'io', 'memory'];
    const avail = (tryRead(ctx.fs, `${mount}/cgroup.controllers`) ?? '').trim().split(/\s+/).filter(Boolean);
    const enable = want.filter((c) => avail.includes(c));
    const rootCtl = (tryRead(ctx.fs, `${mount}/cgroup.subtree_control`) ?? '').trim();
    const missingRoot = enable.filter((c) => !rootCtl.split(/\s+/).includes(c));
    if (missingRoot.length > 0) {
      ctx.steps.push({ kind: 'cgroup-write', path: `${mount}/cgroup.subtree_control`, from: rootCtl, to: missingRoot.map((c) => `+${c}`).join(' '),
        undo: missingRoot.map((c) => `-${c}`).join(' ') });
    }
    const sliceCtl = ctx.fs.exists(slice) ? (tryRead(ctx.fs, `${slice}/cgroup.subtree_control`) ?? '').trim() : '';
    const missingSlice = enable.filter((c) => !sliceCtl.split(/\s+/).includes(c));
    if (missingSlice.length > 0) {
      ctx.steps.push({ kind: 'cgroup-write', path: `${slice}/cgroup.subtree_control`, from: sliceCtl, to: missingSlice.map((c) => `+${c}`).join(' '),
        undo: missingSlice.map((c) => `-${c}`).join(' ') });
    }
    ctx.steps.push({ kind: 'cgroup-create', path: dir });
    ctx.steps.push({ kind: 'cgroup-move', path: dir, pids: [g.pid], from: cg.dir('cpu') });
    for (const c of enable) ctx.fresh.add(c);
    const rel = `/virtune.slice/${name}`;
    return { version: 2, mount: () => mount, rel: () => rel, dir: () => dir, own: () => true };
  }
  const dirs = new Map<string, string>();
  for (const c of V1_ISOLATE_CONTROLLERS) {
    const mount = cg.mount(c);
    if (!ctx.fs.exists(mount)) continue;
    const parent = `${mount}/virtune`;
    const dir = `${parent}/${name}`;
    if (!ctx.fs.exists(parent)) {
      ctx.steps.push({ kind: 'cgroup-create', path: parent });
      if (c === 'cpuset') {
        ctx.steps.push({ kind: 'cgroup-write', path: `${parent}/cpuset.cpus`, from: null, to: readCurrent(ctx.fs, `${mount}/cpuset.cpus`) });
        ctx.steps.push({ kind: 'cgroup-write', path: `${parent}/cpuset.mems`, from: null, to: readCurrent(ctx.fs, `${mount}/cpuset.mems`) });
      }
    }
    ctx.steps.push({ kind: 'cgroup-create', path: dir });
    if (c === 'cpuset') {
      const src = ctx.fs.exists(parent) ? parent : mount;
      const cur = cg.dir('cpuset');
      const cpus = (cur ? tryRead(ctx.fs, `${cur}/cpuset.cpus`) : null)?.trim() || readCurrent(ctx.fs, `${src}/cpuset.cpus`);
      const mems = (cur ? tryRead(ctx.fs, `${cur}/cpuset.mems`) : null)?.trim() || readCurrent(ctx.fs, `${src}/cpuset.mems`);
      ctx.steps.push({ kind: 'cgroup-write', path: `${dir}/cpuset.cpus`, from: null, to: cpus });
      ctx.steps.push({ kind: 'cgroup-write', path: `${dir}/cpuset.mems`, from: null, to: mems });
    }
    ctx.steps.push({ kind: 'cgroup-move', path: dir, pids: [g.pid], from: cg.dir(c) });
    dirs.set(c, dir);
    ctx.fresh.add(c);
  }
  ctx.warnings.push(`--isolate: guest ${g.id} moves into /virtune/${name} under ${[...dirs.keys()].join(', ')}; on cgroup v1 the memory controller is left alone (virtune never creates memory cgroups)`);
  return {
    version: 1,
    mount: cg.mount,
    rel: (c) => (dirs.has(c) ? `/virtune/${name}` : cg.rel(c)),
    dir: (c) => dirs.get(c) ?? cg.dir(c),
    own: (c) => dirs.has(c) || cg.own(c),
  };
}
