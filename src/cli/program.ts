// Owns the command-line grammar: global options of the contract, every command, and commander's
// error handling mapped to the contract's exit codes. Commands live in commands/*.ts, one owner each.

import { Command, Option } from 'commander';
import { VirtuneError } from '../engine/model/errors.js';
import { examplesHelp } from './examples.js';
import { collect, parseGlobals } from './runtime.js';
import { registerAdvise } from './commands/advise.js';
import { registerAudit } from './commands/audit.js';
import { registerChanges } from './commands/changes.js';
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
    .option('--qmp-timeout <MS>', 'how long a guest\'s QMP exchange may take in a tick through its own socket before it is reported unreachable (default 500)')
    .option('--audit-log <FILE>', 'audit log, taken as written (default /var/log/virtune/audit.log under --root)')
    .showHelpAfterError(false)
    .addHelpText('after', examplesHelp())
    .exitOverride();
  program.configureOutput({
    // commander prints errors itself: one line, prefixed like every other error
    outputError: (str, write) => write(`virtune: ${usageLine(str)}\n`),
  });
  registerTui(program);
  registerSnapshot(program);
  registerTune(program);
  registerRevertDue(program);
  registerAdvise(program);
  registerWhy(program);
  registerServe(program);
  registerAudit(program);
  registerChanges(program);
  registerDesktop(program);
  registerRecording(program);
  // an argument too many is named by the hook below (commander's own message does not say which)
  for (const c of program.commands) c.exitOverride().allowExcessArguments(true);
  // validate the arguments and the global options before any command runs (exit 2 on a bad value)
  program.hook('preAction', (_root, action) => {
    checkExcessArguments(action);
    parseGlobals(action);
  });
  return program;
}

/**
 * A commander error as one line without its `error: ` prefix; a suggestion commander puts on a line of
 * its own ("(Did you mean --cpu-weight?)") is kept on that line.
 */
export function usageLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const first = (lines[0] ?? 'bad usage').replace(/^error: /, '');
  const hint = lines.slice(1).find((l) => /^\(Did you mean /.test(l));
  return hint ? `${first} ${hint.replace('(Did you mean', '(did you mean')}` : first;
}

/** Exit 2 naming the first operand a command does not take (`virtune snapshot extra`). */
export function checkExcessArguments(cmd: Command): void {
  const declared = cmd.registeredArguments;
  if (declared.length > 0 && declared[declared.length - 1]?.variadic) return;
  const extra = cmd.args.slice(declared.length);
  if (extra.length === 0) return;
  const takes = declared.length === 0 ? 'takes no arguments' : `takes ${declared.map((a) => a.name()).join(' ')}`;
  throw new VirtuneError(2, `${cmd.name()}: unexpected argument '${extra[0]}' (${cmd.name()} ${takes}; see virtune ${cmd.name()} --help)`);
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
