// Owns the command-line grammar: global options of the contract, every command, and commander's
// error handling mapped to the contract's exit codes. Commands live in commands/*.ts, one owner each.

import { Command, Option } from 'commander';
import { examplesHelp } from './examples.js';
import { collect, parseGlobals } from './runtime.js';
import { registerAdvise } from './commands/advise.js';
import { registerAudit } from './commands/audit.js';
import { registerDesktop } from './commands/desktop.js';
import { registerRecording } from './commands/record.js';
import { registerServe } from './commands/serve.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerTui } from './commands/tui.js';
import { registerTune } from './commands/tune.js';
import { registerRevertDue } from './commands/revert-due.js';
import { registerWhy } from './commands/why.js';

export function buildProgram(version: string): Command {
  const program = new Command('virtune');
  program
    .description('live resource monitor and tuner for KVM/QEMU hosts')
    .version(version, '-V, --version', 'print the version')
    .option('--root <DIR>', 'host filesystem root; /proc, /sys, /run are read under it', '/')
    .addOption(new Option('--demo [N]', 'the built-in simulated host with N guests (default 8)'))
    .option('--connect <URL>', 'talk to a running `virtune serve`: unix:PATH or ws://HOST:PORT/')
    .option('--token-file <FILE>', 'websocket token for --connect ws:// (or the VIRTUNE_TOKEN environment variable)')
    .option('--qmp <PATH>', 'an extra QMP socket to attach (repeatable)', collect)
    .option('--interval <SEC>', 'sampling interval in seconds (minimum 0.1)', '1')
    .option('--write', 'allow tuning (otherwise read-only)')
    .option('--json', 'machine-readable output on stdout; human text on stderr')
    .option('--libvirt-uri <URI>', 'libvirt connection URI (default: virsh default)')
    .option('--state-dir <DIR>', 'undo journal directory, taken as written (default /var/lib/virtune under --root)')
    .option('--latency-histograms', 'also turn on QEMU block latency histograms for libvirt guests (through their monitor; on by default for guests virtune reaches directly)')
    .option('--audit-log <FILE>', 'audit log, taken as written (default /var/log/virtune/audit.log under --root)')
    .showHelpAfterError(false)
    .addHelpText('after', examplesHelp())
    .exitOverride();
  program.configureOutput({
    // commander prints errors itself; keep them to one line
    outputError: (str, write) => write(str.split('\n').find((l) => l.trim() !== '') + '\n'),
  });
  registerTui(program);
  registerSnapshot(program);
  registerTune(program);
  registerRevertDue(program);
  registerAdvise(program);
  registerWhy(program);
  registerServe(program);
  registerAudit(program);
  registerDesktop(program);
  registerRecording(program);
  for (const c of program.commands) c.exitOverride();
  // validate the global options before any command runs (exit 2 on a bad value)
  program.hook('preAction', (_root, action) => { parseGlobals(action); });
  return program;
}

/** `--demo` takes an optional count; `--demo snapshot` must not eat the command name. */
export function normaliseArgv(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--demo' && !(args[i + 1] !== undefined && /^\d+$/.test(args[i + 1] as string))) {
      out.push('--demo=8');
    } else {
      out.push(a);
    }
  }
  return out;
}
