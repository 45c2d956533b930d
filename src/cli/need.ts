// Owns the command-line grammar of `advise --need VCPUS:MEM`: VCPUS a positive number (decimals
// allowed, as numad -w), MEM either MiB as a bare number (numad's unit, the contract's VCPUS:MIB) or a
// size in the grammar every other size option uses (`8G`, `512M`, `1.5T`; 1024-based, as --mem-max).

import { usageError } from '../engine/model/errors.js';
import { parseSizeBytes } from '../engine/model/units.js';

const MIB = 1024 * 1024;

export function parseNeedOption(text: string): { vcpus: number; memMiB: number } {
  const bad = (why: string): Error => usageError(`--need: '${text}' ${why} (VCPUS:MIB or VCPUS:SIZE, e.g. 4:8192, 4:8G, 1.5:512M)`);
  const m = /^([^:]*)(?::(.*))?$/.exec(text.trim());
  const v = m?.[1] ?? '';
  if (!/^\d+(\.\d+)?$/.test(v)) throw bad('does not start with a number of vCPUs');
  const vcpus = Math.round(Number(v) * 100) / 100;
  if (!(vcpus > 0) || vcpus > 1_000_000) throw bad('needs between 0.01 and 1000000 vCPUs');
  const mem = m?.[2];
  if (mem === undefined) return { vcpus, memMiB: 0 };
  let memMiB: number;
  if (/^\d+$/.test(mem.trim())) memMiB = Number(mem);
  else {
    const bytes = parseSizeBytes(mem);
    if (bytes === null) throw bad(`has '${mem}', which is not a size`);
    memMiB = Math.ceil(bytes / MIB);
  }
  if (!Number.isSafeInteger(memMiB) || memMiB > 2 ** 31 - 1) throw bad('asks for more memory than any host has');
  return { vcpus, memMiB };
}
