// Owns lossless JSON parsing for QMP replies that reach the collector as text (virsh passthrough):
// the same rule as the socket connector — safe integers as numbers, integers past 2^53 as exact
// decimal strings (engine/model/json-lossless.ts). Throws HostError('parse').

import { HostError } from '../../engine/model/errors.js';
import { parseJsonLossless } from '../../engine/model/json-lossless.js';

export function parseQmpJson(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = parseJsonLossless(text);
  } catch (e) {
    throw new HostError('parse', `invalid JSON from QMP: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HostError('parse', 'QMP reply is not a JSON object');
  return v as Record<string, unknown>;
}
