// Owns createAdvisor(): the Advisor port (src/engine/ports/sources.ts) over the pure advisor
// functions: numad's placement for a need or a running guest, the host-wide plan, and the linter.

import type { Advice, AdviceRequest, HostMove, LintFinding } from '../model/advice.js';
import { usageError } from '../model/errors.js';
import type { RawSample } from '../model/sample.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Advisor } from '../ports/sources.js';
import { adviseGuest, adviseNeed } from './advise.js';
import { planHost } from './host-plan.js';
import { lintHost } from './lint.js';

export { adviseGuest, adviseNeed, parseNeed } from './advise.js';
export { planHost } from './host-plan.js';
export { lintHost } from './lint.js';
export { pickNumaNodes } from './numad.js';
export { buildNodeTable } from './topology.js';

export function createAdvisor(): Advisor {
  return {
    async advise(req: AdviceRequest, snap: Snapshot, raw: RawSample): Promise<Advice> {
      if (req.hugepages !== undefined && req.hugepages !== null && req.hugepages !== '2M' && req.hugepages !== '1G') {
        throw usageError(`--hugepages: '${String(req.hugepages)}' is not 2M or 1G`);
      }
      if (snap.host.numaNodes.length === 0) throw usageError('this host reports no NUMA nodes (/sys/devices/system/node)');
      if (req.guest !== undefined && req.need !== undefined) throw usageError('give either GUEST or --need, not both');
      if (req.guest !== undefined) return adviseGuest(snap, raw, req.guest, { hugepages: req.hugepages ?? null });
      if (req.need !== undefined) {
        const { vcpus, memMiB } = req.need;
        if (!Number.isFinite(vcpus) || vcpus < 0 || !Number.isInteger(memMiB) || memMiB < 0) {
          throw usageError(`--need: ${vcpus}:${memMiB} is not VCPUS ≥ 0 : MIB ≥ 0`);
        }
        return adviseNeed(snap, raw, req.need, { hugepages: req.hugepages ?? null });
      }
      throw usageError('advise needs GUEST or --need VCPUS:MIB');
    },
    async hostPlan(snap: Snapshot, raw: RawSample): Promise<HostMove[]> {
      return planHost(snap, raw);
    },
    async lint(snap: Snapshot, raw: RawSample): Promise<LintFinding[]> {
      return lintHost(snap, raw);
    },
  };
}
