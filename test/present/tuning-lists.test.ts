// The tuning form's list knobs: every repeatable option of `virtune tune` (--vcpu-pin, --io,
// --disk-throttle, --net) takes several specs in one field, one per line or separated by ';', and
// builds the request the repeated option would; each spec is checked on its own.

import { describe, expect, it } from 'vitest';
import { parseTuneOptions } from '../../src/engine/model/tuning-parse.js';
import { checkSpecs, knobRequest, splitSpecs, TUNING_KNOBS } from '../../src/engine/present/tuning-form.js';
import { guest } from './builders.js';

describe('tuning form list knobs', () => {
  it('every repeatable option of virtune tune is a list knob taking several specs, like repeating the option', () => {
    const lists = TUNING_KNOBS.filter((k) => k.list).map((k) => k.flag).sort();
    expect(lists).toEqual(['--disk-throttle', '--io', '--net', '--vcpu-pin']);
    expect(splitSpecs(' vda:riops=500,wbps=10M \n\n8:16:wiops=100 ; vdb:rbps=1M;')).toEqual(['vda:riops=500,wbps=10M', '8:16:wiops=100', 'vdb:rbps=1M']);
    const io = TUNING_KNOBS.find((k) => k.id === 'io')!;
    const two = knobRequest(io, 'vda:riops=500\nvdb:wbps=10M', 'qemu:w');
    // the same request as `virtune tune qemu:w --io vda:riops=500 --io vdb:wbps=10M`
    expect(two).toEqual({ ok: true, request: parseTuneOptions('qemu:w', { io: ['vda:riops=500', 'vdb:wbps=10M'] }) });
    expect(two.ok && two.request.changes).toHaveLength(2);
    const dt = TUNING_KNOBS.find((k) => k.id === 'diskThrottle')!;
    expect(knobRequest(dt, 'virtio-disk0:iops=500; virtio-disk1:bps=1M', 'qemu:w')).toMatchObject({ ok: true, request: { changes: [{ kind: 'diskThrottle' }, { kind: 'diskThrottle' }] } });
    const pin = TUNING_KNOBS.find((k) => k.id === 'vcpuPin')!;
    expect(knobRequest(pin, '0:2\n1:3', 'qemu:w')).toMatchObject({ ok: true, request: { changes: [{ kind: 'vcpuPin', vcpu: 0, cpus: '2' }, { kind: 'vcpuPin', vcpu: 1, cpus: '3' }] } });
    // one bad spec refuses the whole field, with the parser's message naming it
    const bad = knobRequest(io, 'vda:riops=500\nvdb:riops=0', 'qemu:w');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/--io: .*riops=0/);
  });
  it('checks a list field spec by spec, so each error is shown against its own spec', () => {
    const net = TUNING_KNOBS.find((k) => k.id === 'net')!;
    const r = checkSpecs(net, 'vnet0:in=10mbit\nvnet1:sideways=3\n\nvnet2:out=1mbit', 'qemu:w');
    expect(r.map((x) => [x.n, x.spec, x.message === null])).toEqual([[1, 'vnet0:in=10mbit', true], [2, 'vnet1:sideways=3', false], [3, 'vnet2:out=1mbit', true]]);
    expect(r[1]!.message).toMatch(/--net/);
    expect(checkSpecs(net, '  \n ', 'qemu:w')).toEqual([]);
  });
  it('shows each vCPU\'s allowed CPUs as the current --vcpu-pin value', () => {
    const pin = TUNING_KNOBS.find((k) => k.id === 'vcpuPin')!;
    expect(pin.current(guest('w', 1))).toMatch(/^0:\S+ 1:\S+$/);
  });
});
