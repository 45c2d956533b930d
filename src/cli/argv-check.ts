// Owns the checks on the raw command line that commander cannot make because `tui` is the default
// command: a first word that is no command is "unknown command", not "too many arguments for 'tui'",
// and `--demo WORD` names --demo (its count is optional, so commander would take WORD as a command).

import type { Command } from 'commander';
import { VirtuneError } from '../engine/model/errors.js';

/** Throws a usage error (exit 2) for an unknown command word or a non-numeric --demo count. */
export function checkCommandWord(program: Command, args: readonly string[]): void {
  const names = new Set<string>(['help']);
  for (const c of program.commands) { names.add(c.name()); for (const a of c.aliases()) names.add(a); }
  const takesValue = new Map<string, 'required' | 'optional'>();
  for (const o of program.options) {
    const kind = o.required ? 'required' : o.optional ? 'optional' : null;
    if (!kind) continue;
    if (o.long) takesValue.set(o.long, kind);
    if (o.short) takesValue.set(o.short, kind);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') return;
    if (a.startsWith('-')) {
      if (a.includes('=')) continue;
      const kind = takesValue.get(a);
      const next = args[i + 1];
      if (kind === 'required') { i++; continue; }
      if (kind === 'optional' && next !== undefined && !next.startsWith('-')) {
        if (/^\d+$/.test(next)) { i++; continue; }
        if (!names.has(next)) throw new VirtuneError(2, `${a}: '${next}' is not a guest count from 0 to 5000`);
      }
      continue;
    }
    if (!names.has(a)) {
      throw new VirtuneError(2, `unknown command '${a}' (commands: ${[...names].filter((n) => n !== 'help').join(', ')}; see virtune --help)`);
    }
    return;
  }
}
