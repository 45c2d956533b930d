#!/usr/bin/env node
// Owns the process entry point of `virtune`: parse, run one command, exit with the contract's code.

import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { checkCommandWord } from './argv-check.js';
import { buildProgram, normaliseArgv, usageLine } from './program.js';
import { reportError } from './runtime.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram(packageVersion());
  const args = normaliseArgv(argv);
  const json = args.includes('--json');
  try {
    checkCommandWord(program, argv);
    await program.parseAsync(args, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (json) process.stdout.write(JSON.stringify({ error: { code: 2, message: usageLine(e.message) } }) + '\n');
      return 2; // commander already printed the one-line message
    }
    return reportError(e, json);
  }
}

// a reader that went away (`virtune watch | head -2`) ends the output: exit quietly, as cat does
// (the exit hooks still remove a demo tree)
const quietOnEpipe = (e: NodeJS.ErrnoException): void => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
};
process.stdout.on('error', quietOnEpipe);
process.stderr.on('error', quietOnEpipe);

/** Resolves once everything written to the stream so far has been handed to the OS. */
const flushed = (s: NodeJS.WriteStream): Promise<void> => new Promise((resolve) => {
  if (s.writableLength === 0) resolve();
  else s.write('', () => resolve());
});

const code = await main(process.argv.slice(2));
// a pipe whose reader is slower than us still holds part of a big snapshot in our buffer: exiting now
// would cut the JSON short (write callbacks run in order, so the empty write's means all was sent)
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
