// Owns lossless JSON parsing for QMP replies that reach the collector as text (virsh passthrough):
// the same rule as the socket connector — safe integers as numbers, integers past 2^53 as exact
// decimal strings. The collector layer may not import npm packages, so this quotes big integer
// tokens outside strings and hands the text to JSON.parse. Throws HostError('parse').

import { HostError } from '../../engine/model/errors.js';

function quoteBigIntegers(text: string): string {
  let out = '';
  let i = 0;
  let last = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
      const tok = m?.[0] ?? c;
      if (m && !m[1] && !m[2] && !Number.isSafeInteger(Number(tok))) {
        out += `${text.slice(last, i)}"${tok}"`;
        last = i + tok.length;
      }
      i += tok.length;
      continue;
    }
    i++;
  }
  return out + text.slice(last);
}

export function parseJsonLossless(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(quoteBigIntegers(text));
  } catch (e) {
    throw new HostError('parse', `invalid JSON from QMP: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HostError('parse', 'QMP reply is not a JSON object');
  return v as Record<string, unknown>;
}
