// Owns the sampler task mixes the benchmarks ask for, as the engine's cadences do: a first sample with
// every task, a plain tick (counters + QMP, 4 ticks in 5) and a settings tick (every 5th).

import type { SampleTask } from '../engine/ports/sources.js';

export const EVERY_TASK: ReadonlySet<SampleTask> = new Set<SampleTask>(['discovery', 'counters', 'qmp', 'numa', 'qmpSlow', 'settings', 'static']);
export const PLAIN_TICK: ReadonlySet<SampleTask> = new Set<SampleTask>(['counters', 'qmp']);
export const SETTINGS_TICK: ReadonlySet<SampleTask> = new Set<SampleTask>(['counters', 'qmp', 'settings']);
