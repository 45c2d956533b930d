// Owns `virtune tune`, `virtune undo` and `virtune keep`: plan, preview, confirm, apply, revert.

import type { Command } from 'commander';
import { collect, notAvailable } from '../runtime.js';

export function registerTune(program: Command): void {
  program.command('tune')
    .description('plan, show, confirm and apply changes to a running guest (or `host`)')
    .argument('<GUEST>', 'name, UUID or id (libvirt:web01, pve:101, qemu:NAME), or `host`')
    .option('--cpu-weight <N>', 'cgroup v2 cpu.weight (v1 hosts: cpu.shares)')
    .option('--cpu-shares <N>', 'cgroup v1 cpu.shares (v2 hosts: cpu.weight)')
    .option('--cpu-quota <Q>', 'CPU cap for the whole guest: 150%, 2cpu, µs per period, or max')
    .option('--cpu-period <US>', 'CFS period, 1000-1000000 µs')
    .option('--cpuset <LIST>', 'host CPUs the guest may run on')
    .option('--nodeset <LIST>', 'NUMA nodes for the guest memory (migrates it)')
    .option('--vcpu-pin <VCPU:LIST>', 'pin one vCPU thread (repeatable)', collect)
    .option('--emulator-pin <LIST>', 'pin the emulator threads')
    .option('--io <DEV:KEY=VAL,...>', 'cgroup block limits: riops wiops rbps wbps (repeatable)', collect)
    .option('--disk-throttle <DISK:KEY=VAL,...>', 'QEMU block_set_io_throttle (repeatable)', collect)
    .option('--net <IF:in=RATE,...>', 'tc shaping on the guest tap (repeatable)', collect)
    .option('--mem-max <SIZE>', 'memory hard limit')
    .option('--ksm <KEY=VAL,...>', 'host KSM settings (GUEST = host)')
    .option('--hugepages <SIZE[@NODE]=COUNT>', 'host hugepage pool (GUEST = host)', collect)
    .option('--force', 'allow a memory limit below current use')
    .option('--isolate', 'move a guest without a cgroup of its own into virtune.slice first')
    .option('--persist', 'libvirt guests: also change the domain config')
    .option('--dry-run', 'print the plan and change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--revert-after <SEC>', 'revert automatically unless kept')
    .action(() => notAvailable('tune'));
  program.command('undo')
    .description('undo the last (or the named) applied change')
    .argument('[CHANGE_ID]', 'change id printed by tune')
    .action(() => notAvailable('undo'));
  program.command('keep')
    .description('keep a change that has a revert timer')
    .argument('<CHANGE_ID>', 'change id printed by tune')
    .action(() => notAvailable('keep'));
}
