// Owns lossless JSON parsing for QMP replies that reach the collector as text (virsh passthrough):
// the same rule as the socket connector — safe integers as numbers, integers past 2^53 as exact
// decimal strings (engine/model/json-lossless.ts). Throws HostError('parse').

export { parseQmpObject as parseQmpJson } from '../../engine/model/json-lossless.js';
