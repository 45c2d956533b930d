// Hand-computed vectors for numad's pick_numa_nodes (numad.c 20150602) on multi-node fixture hosts.
// Every expected value below is worked out from the algorithm in the comments (units: CPU in
// hundredths, memory in MiB, C integer division).

import { describe, expect, it } from 'vitest';
import { adviseGuest, adviseNeed, parseNeed } from '../../src/engine/advisor/advise.js';
import { pickNumaNodes } from '../../src/engine/advisor/numad.js';
import { buildNodeTable } from '../../src/engine/advisor/topology.js';
import { MIB, makeHost, slit } from '../fixtures/advisor/hosts.js';

// 2 nodes × 4 CPUs × 16 GiB. node0: 2000 MiB MemFree + 48 Inactive(file) = 2048 free, 300 % busy → 100 free;
// node1: 6000 + 144 = 6144 free, 100 % busy → 300 free.
const twoNode = () => makeHost({
  nodes: [
    { cpus: '0-3', totalMiB: 16384, freeMiB: 2000, inactiveFileMiB: 48, usagePct: 300, distances: [10, 21] },
    { cpus: '4-7', totalMiB: 16384, freeMiB: 6000, inactiveFileMiB: 144, usagePct: 100, distances: [21, 10] },
  ],
});

describe('numad -w on fixture hosts (multi-node NUMA fixture)', () => {
  it('parses VCPUS[:MIB] like numad -w (two decimals, ×100)', () => {
    expect(parseNeed('2:64')).toEqual({ vcpus: 2, memMiB: 64, cpus: 200 });
    expect(parseNeed('1.5:512').cpus).toBe(150);
    expect(parseNeed('1.567:1').cpus).toBe(156); // extra digits are dropped, not rounded
    expect(parseNeed('3').memMiB).toBe(0);
    expect(() => parseNeed('two:64')).toThrow(/VCPUS:MIB/);
    expect(() => parseNeed('2:-1')).toThrow();
  });

  it('fits on one node: 2:1024 on 2 nodes (multi-node NUMA fixture)', () => {
    // mags (mbs 1024, cpus 200):
    //  n0: mem 2048>1024 → 1024×10 + 1024×4 = 14336; cpu 100≤200 → 100×6 = 600 → 8,601,600
    //  n1: mem 6144 → 10240 + 5120×4 = 30720; cpu 300>200 → 200×6 + 100 = 1300 → 39,936,000
    // min_req = max(⌈1024/16384⌉, ⌈200/400⌉) = 1; totmag[0] = 8,601,600/100 = 86,016, totmag[1] = 399,360 → start 1
    // take n1: 6144 ≥ 1024+100 → mbs 0; 300 ≥ 200 → cpus 0 → done: "1"
    const { snap, raw } = twoNode();
    const a = adviseNeed(snap, raw, { vcpus: 2, memMiB: 1024 });
    expect(a.nodeset).toBe('1');
    expect(a.cpus).toBe('4-7');
    expect(a.fits).toBe(true);
    expect(a.nodes).toEqual([
      { node: 0, freeMemMiB: 2048, freeCpuPct: 100, score: 8_601_600, chosen: false, distance: 21 },
      { node: 1, freeMemMiB: 6144, freeCpuPct: 300, score: 39_936_000, chosen: true, distance: 10 },
    ]);
    expect(a.migrateBytes).toBeNull();
    expect(a.startNode).toBe(1);
  });

  it('CPU cannot fit: 10:1000 gives the least-bad nodeset with fits false (multi-node NUMA fixture)', () => {
    // mags: n0: 1000×10 + 1048×4 = 14192 × 600 = 8,515,200; n1: 10000 + 5144×4 = 30576 × (300×6=1800) = 55,036,800
    // min_req = max(1, ⌈1000/400⌉=3) capped to 2 nodes
    // totmag[0] = 85,152 + 55,036,800/441 = 124,800 → 209,952; totmag[1] = 550,368 + ⌊8,515,200/441⌋ = 19,308 (441 × 19,308 = 8,514,828) → 569,676
    // start 1; take n1 (mbs 0, cpus 1000-300 = 700); take n0 → all nodes → stop: "0-1", 400 CPU free < 1000
    const { snap, raw } = twoNode();
    const a = adviseNeed(snap, raw, { vcpus: 10, memMiB: 1000 });
    expect(a.nodeset).toBe('0-1');
    expect(a.cpus).toBe('0-7');
    expect(a.fits).toBe(false);
    expect(a.reason).toMatch(/CPU does not fit: needs 10\.00 CPUs.*4\.00 CPUs free/);
    const pick = pickNumaNodes(buildNodeTable(snap, raw).rows, 1000, 1000, null);
    expect(pick.rows.map((r) => r.totmag)).toEqual([209_952, 569_676]);
    expect(pick.taken).toEqual([1, 0]);
  });

  it('needs two close nodes on a 4-node host with asymmetric distances (multi-node NUMA fixture)', () => {
    // 4 nodes × 4 CPUs × 8192 MiB. SLIT rows: n3→n2 = 18 but n2→n3 = 16 (asymmetric).
    // free: n0 5000/200, n1 5000/200, n2 6000/300, n3 3000/400. need 4:9000 → cpus 400, mbs 9000
    // min_req = max(⌈9000/8192⌉ = 2, ⌈400/400⌉ = 1) = 2
    // mags (mbs > every free → mem = free×10): n0 = n1 = 50000×1200 = 60,000,000; n2 = 60000×1800 = 108,000,000;
    //   n3 = 30000×(400×6 = 2400) = 72,000,000
    // totmag[ix] reads column ix of the SLIT (tmp_node[cand].distance[ix]):
    //   ix0: order 0,1 → 600,000 + 60M/256 = 234,375 → 834,375;  ix1: order 1,0 → 834,375
    //   ix2: column 2 = 22,22,10,18 → order 2,3 → 1,080,000 + ⌊72M/324⌋ = 222,222 → 1,302,222
    //   ix3: column 3 = 22,22,16,10 → order 3,2 → 720,000 + 108M/256 = 421,875 → 1,141,875      → start node 2
    // order from 2: 2,3,0,1. take n2: 6000 < 9100 → mbs 9000-5900 = 3100, cpus 400-300 = 100;
    //   take n3: 3000 ≥ 3200? no... 3000 ≥ 3100+100 = 3200 is false → mbs 3100 - 2900 = 200 → take n0: 5000 ≥ 300 → done
    const dist = [[10, 16, 22, 22], [16, 10, 22, 22], [22, 22, 10, 16], [22, 22, 18, 10]];
    const { snap, raw } = makeHost({
      nodes: [
        { cpus: '0-3', totalMiB: 8192, freeMiB: 5000, usagePct: 200, distances: dist[0] as number[] },
        { cpus: '4-7', totalMiB: 8192, freeMiB: 5000, usagePct: 200, distances: dist[1] as number[] },
        { cpus: '8-11', totalMiB: 8192, freeMiB: 6000, usagePct: 100, distances: dist[2] as number[] },
        { cpus: '12-15', totalMiB: 8192, freeMiB: 3000, usagePct: 0, distances: dist[3] as number[] },
      ],
    });
    const pick = pickNumaNodes(buildNodeTable(snap, raw).rows, 400, 9000, null);
    expect(pick.rows.map((r) => r.magnitude)).toEqual([60_000_000, 60_000_000, 108_000_000, 72_000_000]);
    expect(pick.rows.map((r) => r.totmag)).toEqual([834_375, 834_375, 1_302_222, 1_141_875]);
    expect(pick.minReqNodes).toBe(2);
    expect(pick.startNode).toBe(2);
    expect(pick.order).toEqual([2, 3, 0, 1]);
    expect(pick.taken).toEqual([2, 3, 0]);
    const a = adviseNeed(snap, raw, { vcpus: 4, memMiB: 9000 });
    expect(a.nodeset).toBe('0,2-3');
    expect(a.fits).toBe(true);
    // 8000 MiB: two close nodes suffice (n2 gives 5900, n3 gives 2900 → 8800 ≥ 8000)
    const b = adviseNeed(snap, raw, { vcpus: 4, memMiB: 8000 });
    expect(b.nodeset).toBe('2-3');
    expect(b.cpus).toBe('8-15');
  });

  it('grows by distance with ties broken by score on 8 nodes (multi-node NUMA fixture)', () => {
    // 8 nodes × 2 CPUs × 4096 MiB, two sockets of 4 (12 inside, 32 across). free MiB: n0-3 1000, n4 3000,
    // n5 2500, n6 2000, n7 2500; CPU 200 free everywhere. need 2:4000 → min_req = max(⌈4000/4096⌉, ⌈200/200⌉) = 1
    // mags (mem = free×10, cpu 200 → 1200): n0-3 12,000,000; n4 36M; n5 30M; n6 24M; n7 30M
    // min_req 1 → totmag[ix] = mag[ix]/100 → start n4.
    // symmetric: column 4 = 32,32,32,32,10,12,12,12 → selection sort → 4,5,... (n5 30M ≥ n6 24M, n7 ties n5 and stays behind)
    //   take n4: 3000 < 4100 → mbs 1100; take n5: 2500 ≥ 1200 → "4-5"
    // asymmetric: row 6 says n6→n4 = 11 (n4→n6 stays 12): column 4 puts n6 second → "4,6"
    const frees = [1000, 1000, 1000, 1000, 3000, 2500, 2000, 2500];
    const sym = slit(8, (i, j) => ((i >> 2) === (j >> 2) ? 12 : 32));
    const host = (d: number[][]) => makeHost({
      nodes: frees.map((f, i) => ({ cpus: `${2 * i}-${2 * i + 1}`, totalMiB: 4096, freeMiB: f, usagePct: 0, distances: d[i] as number[] })),
    });
    const s1 = host(sym);
    const a = adviseNeed(s1.snap, s1.raw, { vcpus: 2, memMiB: 4000 });
    expect(a.nodeset).toBe('4-5');
    expect(a.cpus).toBe('8-11');
    expect(a.nodes.map((n) => n.score)).toEqual([12e6, 12e6, 12e6, 12e6, 36e6, 30e6, 24e6, 30e6]);
    const asym = sym.map((r) => [...r]);
    (asym[6] as number[])[4] = 11;
    const s2 = host(asym);
    const pick = pickNumaNodes(buildNodeTable(s2.snap, s2.raw).rows, 200, 4000, null);
    expect(pick.order).toEqual([4, 6, 5, 7, 0, 2, 1, 3]);
    const b = adviseNeed(s2.snap, s2.raw, { vcpus: 2, memMiB: 4000 });
    expect(b.nodeset).toBe('4,6');
    expect(b.cpus).toBe('8-9,12-13');
  });

  it('memory cannot fit at all: nodeset null (multi-node NUMA fixture)', () => {
    // 8 nodes × 1000 MiB free: beyond the 100 MiB margin 8 × 900 = 7200 < 9000; numad itself would print 0-7
    const { snap, raw } = makeHost({
      nodes: Array.from({ length: 8 }, (_, i) => ({
        cpus: `${2 * i}-${2 * i + 1}`, totalMiB: 4096, freeMiB: 1000, usagePct: 0,
        distances: slit(8, (a, b) => ((a >> 2) === (b >> 2) ? 16 : 32))[i] as number[],
      })),
    });
    const a = adviseNeed(snap, raw, { vcpus: 4, memMiB: 9000 });
    expect(a.fits).toBe(false);
    expect(a.nodeset).toBeNull();
    expect(a.cpus).toBeNull();
    expect(a.reason).toMatch(/memory does not fit: needs 9000 MiB.*7200/);
    // numad: min_req = max(⌈9000/4096⌉ = 3, ⌈400/200⌉ = 2) = 3, grows until all nodes are used
    const pick = pickNumaNodes(buildNodeTable(snap, raw).rows, 400, 9000, null);
    expect(pick.minReqNodes).toBe(3);
    expect(pick.nodes).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('--hugepages 2M takes memory from free hugepages, not MemFree (multi-node NUMA fixture)', () => {
    // MemFree favours n0 (12000 vs 3000); 2M pools: n0 100 free pages = 200 MiB, n1 600 free = 1200 MiB (1024 pages = 2048 total)
    // no hugepages: n0 (10000 + 11000×4) × 1200 = 64,800,000 > n1 (10000 + 2000×4... = 18000) × 1200 → "0"
    // 2M: n0 200 ≤ 1000 → 2000 × 1200 = 2,400,000; n1 1200 → 10000 + 200×4 = 10800 × 1200 = 12,960,000 → "1"
    //     margin 0 for pools: take n1: 1200 ≥ 1000 → done
    const { snap, raw } = makeHost({
      nodes: [
        { cpus: '0-3', totalMiB: 16384, freeMiB: 12000, usagePct: 200, distances: [10, 20], hugepages: { 2048: { total: 1024, free: 100 } } },
        { cpus: '4-7', totalMiB: 16384, freeMiB: 3000, usagePct: 200, distances: [20, 10], hugepages: { 2048: { total: 1024, free: 600 } } },
      ],
    });
    expect(adviseNeed(snap, raw, { vcpus: 2, memMiB: 1000 }).nodeset).toBe('0');
    const a = adviseNeed(snap, raw, { vcpus: 2, memMiB: 1000 }, { hugepages: '2M' });
    expect(a.nodeset).toBe('1');
    expect(a.nodes.map((n) => [n.freeMemMiB, n.score])).toEqual([[200, 2_400_000], [1200, 12_960_000]]);
    expect(a.hugepages).toBe('2M');
    // 1G pools are empty: nothing fits
    const g = adviseNeed(snap, raw, { vcpus: 2, memMiB: 1000 }, { hugepages: '1G' });
    expect(g.fits).toBe(false);
    expect(g.nodeset).toBeNull();
  });

  it('without a measured interval, free CPU comes from the pinned vCPUs of running guests (multi-node NUMA fixture)', () => {
    // a: 4 vCPUs on 0-3 → node0 load 400 → free 0 → numad minimum 1; b: 2 vCPUs on 4 and 5 → node1 free 200.
    // c is paused: not counted. need 2:1000: n0 (10000 + 7000×4 = 38000) × (1×6) = 228,000; n1 38000 × 1200 = 45,600,000 → "1"
    const { snap, raw } = makeHost({
      intervalSec: null,
      nodes: [
        { cpus: '0-3', totalMiB: 16384, freeMiB: 8000, usagePct: null, distances: [10, 21] },
        { cpus: '4-7', totalMiB: 16384, freeMiB: 8000, usagePct: null, distances: [21, 10] },
      ],
      guests: [
        { id: 'qemu:a', vcpus: 4, cpuset: '0-3' },
        { id: 'qemu:b', vcpus: 2, vcpuCpus: ['4', '5'] },
        { id: 'qemu:c', vcpus: 4, cpuset: '4-7', state: 'paused' },
      ],
    });
    const a = adviseNeed(snap, raw, { vcpus: 2, memMiB: 1000 });
    expect(a.cpuSource).toBe('vcpus');
    expect(a.nodes.map((n) => [n.freeCpuPct, n.score])).toEqual([[1, 228_000], [200, 45_600_000]]);
    expect(a.nodeset).toBe('1');
  });

  it('need 0:0 still returns node 0, as numad -w always names one node (multi-node NUMA fixture)', () => {
    const { snap, raw } = twoNode();
    const a = adviseNeed(snap, raw, { vcpus: 0, memMiB: 0 });
    expect(a.nodeset).toBe('0');
    expect(a.fits).toBe(true);
  });
});

describe('numad evaluation of a running guest (multi-node NUMA fixture)', () => {
  // 2 nodes × 4 CPUs × 16 GiB; node0 4000 MiB free, 200 % busy (200 free); node1 3000 MiB free, 100 % busy (300 free)
  const host = () => makeHost({
    nodes: [
      { cpus: '0-3', totalMiB: 16384, freeMiB: 4000, usagePct: 200, distances: [10, 21] },
      { cpus: '4-7', totalMiB: 16384, freeMiB: 3000, usagePct: 100, distances: [21, 10] },
    ],
    guests: [
      // spread over both nodes, unbound
      { id: 'qemu:spread', vcpus: 2, perNodeMiB: { 0: 1024, 1: 3072 }, rssMiB: 4096, usagePct: 150 },
      // bound to node 0, 100 MiB stray on node 1
      { id: 'qemu:home', vcpus: 2, cpuset: '0-3', mems: '0', perNodeMiB: { 0: 2048, 1: 100 }, rssMiB: 2148, usagePct: 100 },
    ],
  });

  it('adds back an unbound guest ×17/16 with CPU in proportion to its memory, and moves it', () => {
    // request: mb = 4096×100/85 = 4818; cpu = 150×100/85 = 176 (cap 2 vCPUs = 200)
    // add-back: n0 4000 + 1024×17/16 = 1088 → 5088, CPU 200 + 150×1024/4096 = 37 → 237
    //           n1 3000 + 3072×17/16 = 3264 → 6264, CPU 300 + 150×3072/4096 = 112 → 412 → clamp 400
    // cpu_flex = 15 × 400 / 200 = 30; min_req = max(⌈4818/16384⌉, ⌈(176−30)/400⌉) = 1
    // mags: n0 (48180 + 270×4 = 49260) × (176×6 + 61 = 1117) = 55,023,420
    //       n1 (48180 + 1446×4 = 53964) × (1056 + 224 = 1280) = 69,073,920 → start n1, 6264 ≥ 4918 → "1"
    // migrate = the 1024 MiB on node 0
    const { snap, raw } = host();
    const a = adviseGuest(snap, raw, 'spread');
    expect(a.request).toEqual({ cpuPct: 176, memMiB: 4818 });
    expect(a.nodes.map((n) => [n.freeMemMiB, n.freeCpuPct, n.score])).toEqual([[5088, 237, 55_023_420], [6264, 400, 69_073_920]]);
    expect(a.nodeset).toBe('1');
    expect(a.cpus).toBe('4-7');
    expect(a.fits).toBe(true);
    expect(a.migrateBytes).toBe(1024 * MIB);
    expect(a.guest).toBe('qemu:spread');
  });

  it('leaves a bound guest with ≤ 10 % remote memory where it is (×5/4 add-back)', () => {
    // request: mb = 2148×100/85 = 2527; cpu = 100×100/85 = 117
    // bound to [0]: avg = (100 + 200)/1 = 300 → n0 CPU 300; n0 4000 + 2048×5/4 = 6560; n1 3000 + 100×5/4 = 3125, CPU 300
    // mags: n0 (25270 + 4033×4 = 41402) × (702 + 183 = 885) = 36,640,770; n1 (25270 + 598×4 = 27662) × 885 = 24,480,870
    // start n0 → "0"; non-local = 100×100/2148 = 4 % ≤ 10 % and already bound to exactly {0} → left alone
    const { snap, raw } = host();
    const a = adviseGuest(snap, raw, 'qemu:home');
    expect(a.nodes.map((n) => [n.freeMemMiB, n.freeCpuPct, n.score])).toEqual([[6560, 300, 36_640_770], [3125, 300, 24_480_870]]);
    expect(a.nodeset).toBe('0');
    expect(a.migrateBytes).toBe(0);
    expect(a.reason).toMatch(/leaves it where it is/);
  });

  it('an unknown guest is exit 3, an ambiguous name exit 2', () => {
    const { snap, raw } = host();
    expect(() => adviseGuest(snap, raw, 'nope')).toThrow(expect.objectContaining({ exitCode: 3 }));
    snap.guests.push({ ...(snap.guests[0] as typeof snap.guests[0]), id: 'libvirt:spread' });
    expect(() => adviseGuest(snap, raw, 'spread')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
