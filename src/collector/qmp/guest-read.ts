// Owns the QMP command batches for one guest: the cheap tick batch (blockstats, and status, balloon and
// cpus-fast when the caller does not know them already) and the slow batch (name, uuid, iothreads, query-block,
// query-memdev + qom-get of each backend, HMP `info network`). Commands of a round run in parallel
// over one channel; every failure is collected, never thrown.

import { HostError } from '../../engine/model/errors.js';
import { QmpCommandError, type QmpChannel } from '../../engine/ports/qmp.js';
import {
  LATENCY_BOUNDARIES_NS, parseBlockLimits, parseBlockstats, parseCpusFast, parseInfoNetwork, parseIothreads, parseMemdev, parseName,
  parseStatus, parseUuid, qNum, type NetBackend, type QmpIothread, type QmpMemdev, type QmpVcpu,
} from './parse.js';
import type { RawDisk, RawDiskLimits } from '../../engine/model/sample.js';

export interface BackendProps { type: string | null; memPath: string | null; hugetlb: boolean | null; hugetlbsize: number | null }

export interface FastReading {
  state?: string | null;
  disks?: RawDisk[];
  vcpus?: QmpVcpu[];
  /** null = no balloon device (DeviceNotActive) */
  balloonBytes?: number | null;
}

export interface SlowReading {
  name: string | null;
  uuid: string | null;
  iothreads: QmpIothread[] | null;
  limits: Map<string, RawDiskLimits> | null;
  memdevs: Array<QmpMemdev & { props: BackendProps | null }> | null;
  net: NetBackend[] | null;
}

export interface ReadProblems {
  /** the channel broke (timeout / io / parse): the guest is unreachable this tick */
  broken: HostError | null;
  /** commands QEMU refused */
  refused: QmpCommandError[];
}

type Outcome<T> = { ok: true; value: T } | { ok: false; err: unknown };

async function attempt<T>(p: Promise<T>): Promise<Outcome<T>> {
  try { return { ok: true, value: await p }; } catch (err) { return { ok: false, err }; }
}

const succeeded = <T>(value: T): Outcome<T> => ({ ok: true, value });
const NONE_QUIET: readonly string[] = [];
const blockstatsRead = (ret: unknown): FastReading => ({ disks: parseBlockstats(ret) });

export class GuestReader {
  readonly problems: ReadProblems = { broken: null, refused: [] };

  private readonly opts: { timeoutMs: number };

  constructor(private readonly ch: QmpChannel, timeoutMs: number) {
    this.opts = { timeoutMs };
  }

  /** Note a command's failure in `problems` (a refusal unless its class is quiet; else the channel broke). */
  private note(err: unknown, quiet: readonly string[]): void {
    if (err instanceof QmpCommandError) { if (!quiet.includes(err.qmpClass)) this.problems.refused.push(err); }
    else if (!this.problems.broken) {
      this.problems.broken = err instanceof HostError ? err : new HostError('io', String(err));
    }
  }

  /** One command; its outcome never rejects (a failure is noted in `problems`). */
  private run<T>(command: string, args?: Record<string, unknown>, quiet: readonly string[] = NONE_QUIET): Promise<Outcome<T>> {
    return this.ch.execute<T>(command, args, this.opts).then(succeeded, (err: unknown): Outcome<T> => {
      this.note(err, quiet);
      return { ok: false, err };
    });
  }

  fast(opts: { status: boolean; cpus: boolean; balloon: boolean }): Promise<FastReading> {
    // a steady tick on a held connection asks blockstats alone: its reply parsed in the one reaction
    if (!opts.status && !opts.cpus && !opts.balloon) return this.ch.execute('query-blockstats', undefined, this.opts).then(blockstatsRead, this.blockstatsFailed);
    return this.fastBatch(opts);
  }

  private readonly blockstatsFailed = (err: unknown): FastReading => {
    this.note(err, NONE_QUIET);
    return {};
  };

  private async fastBatch(opts: { status: boolean; cpus: boolean; balloon: boolean }): Promise<FastReading> {
    const [st, bs, cpus, bal] = await Promise.all([
      opts.status ? this.run('query-status') : Promise.resolve(null),
      this.run('query-blockstats'),
      opts.cpus ? this.run('query-cpus-fast') : Promise.resolve(null),
      opts.balloon ? this.run('query-balloon', undefined, ['DeviceNotActive']) : Promise.resolve(null),
    ]);
    const out: FastReading = {};
    if (st?.ok) out.state = parseStatus(st.value);
    if (bs.ok) out.disks = parseBlockstats(bs.value);
    if (cpus?.ok) out.vcpus = parseCpusFast(cpus.value);
    if (bal) {
      if (bal.ok) out.balloonBytes = qNum((bal.value as Record<string, unknown> | null)?.actual);
      else if (bal.err instanceof QmpCommandError && bal.err.qmpClass === 'DeviceNotActive') out.balloonBytes = null;
    }
    return out;
  }

  /** query-status alone (undefined when it failed: the failure is in `problems`) */
  async status(): Promise<string | null | undefined> {
    const st = await this.run('query-status');
    return st.ok ? parseStatus(st.value) : undefined;
  }

  /**
   * Turn on QEMU's block latency histograms (virtune's boundaries) for these disks; the ids QEMU
   * accepted. A refusal (an old QEMU, a disk id QEMU does not know) is not a problem: that disk simply
   * has no percentiles.
   */
  async enableLatencyHistograms(ids: readonly string[]): Promise<Set<string>> {
    const res = await Promise.all(ids.map((id) => attempt(this.ch.execute('block-latency-histogram-set', { id, boundaries: LATENCY_BOUNDARIES_NS }, this.opts))));
    const on = new Set<string>();
    res.forEach((r, i) => { if (r.ok) on.add(ids[i] as string); });
    return on;
  }

  async slow(): Promise<SlowReading> {
    const [name, uuid, io, blk, mem, net] = await Promise.all([
      this.run('query-name'), this.run('query-uuid'), this.run('query-iothreads'), this.run('query-block'),
      this.run('query-memdev'), this.run<string>('human-monitor-command', { 'command-line': 'info network' }),
    ]);
    const memdevs = mem.ok ? await this.backendProps(parseMemdev(mem.value)) : null;
    return {
      name: name.ok ? parseName(name.value) : null,
      uuid: uuid.ok ? parseUuid(uuid.value) : null,
      iothreads: io.ok ? parseIothreads(io.value) : null,
      limits: blk.ok ? parseBlockLimits(blk.value) : null,
      memdevs,
      net: net.ok && typeof net.value === 'string' ? parseInfoNetwork(net.value) : null,
    };
  }

  /** qom-get `type`, then the properties that tell the backing (mem-path, or memfd hugetlb/hugetlbsize). */
  private async backendProps(devs: QmpMemdev[]): Promise<Array<QmpMemdev & { props: BackendProps | null }>> {
    return Promise.all(devs.map(async (d) => {
      if (!d.id) return { ...d, props: null };
      const path = `/objects/${d.id}`;
      const t = await this.run<string>('qom-get', { path, property: 'type' });
      if (!t.ok || typeof t.value !== 'string') return { ...d, props: null };
      const props: BackendProps = { type: t.value, memPath: null, hugetlb: null, hugetlbsize: null };
      if (t.value === 'memory-backend-file') {
        const p = await this.run<string>('qom-get', { path, property: 'mem-path' });
        if (p.ok && typeof p.value === 'string') props.memPath = p.value;
      } else if (t.value === 'memory-backend-memfd') {
        const [h, hs] = await Promise.all([
          this.run<boolean>('qom-get', { path, property: 'hugetlb' }),
          this.run<number>('qom-get', { path, property: 'hugetlbsize' }),
        ]);
        if (h.ok && typeof h.value === 'boolean') props.hugetlb = h.value;
        if (hs.ok) props.hugetlbsize = qNum(hs.value);
      } else if (t.value === 'memory-backend-ram') {
        props.hugetlb = false;
      }
      return { ...d, props };
    }));
  }
}
