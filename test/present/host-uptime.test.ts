// The host header view-model's uptime: the host's own (/proc/uptime, snapshot host.uptimeSec), not
// how long virtune has been watching; unknown shows as '-'.

import { describe, expect, it } from 'vitest';
import { hostHeader } from '../../src/engine/present/host-header.js';
import { snapshot } from './builders.js';

const status = { demo: true, readOnly: true, startedAt: '2026-11-25T17:00:00.000Z', lastSampleCostUsec: 2500, lastDeriveCostUsec: null };

describe('host header uptime', () => {
  it('shows the host uptime from the snapshot (not how long virtune has watched), and - when unknown', () => {
    const s = snapshot([]); // uptimeSec 273780.5 = 3 days 4 h 3 min
    const h = hostHeader(s, status);
    expect(h.uptime).toBe('up 3d04h');
    expect(h.title).toContain('up 3d04h');
    const unknown = hostHeader({ ...s, host: { ...s.host, uptimeSec: null } }, status);
    expect(unknown.uptime).toBe('up -');
    expect(unknown.title).toContain('up -');
    expect(hostHeader({ ...s, host: { ...s.host, uptimeSec: 59.99 } }, null).uptime).toBe('up 59s');
  });
});
