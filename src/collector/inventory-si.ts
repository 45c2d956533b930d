// Owns the systeminformation adapter of the HostInventory port: static host facts (CPU model, sockets,
// cores) read once. The only file allowed to import systeminformation. It reads the LOCAL machine, so
// composition roots wire it only for the real host (--root /), never for a captured tree or the demo.

import * as si from 'systeminformation';
import type { HostInventory } from '../engine/ports/sources.js';

export function createSiInventory(): HostInventory {
  return {
    async read() {
      const c = await si.cpu();
      const model = [c.manufacturer, c.brand].filter((s) => s && s.trim() !== '').join(' ').trim();
      return {
        cpuModel: model === '' ? null : model,
        sockets: Number.isInteger(c.processors) && c.processors > 0 ? c.processors : null,
        cores: Number.isInteger(c.cores) && c.cores > 0 ? c.cores : null,
      };
    },
  };
}
