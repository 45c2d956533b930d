// Owns the replay side panel of the TUI (`R`): the replay state on a timeline with the recorded tuning
// events, from EngineStatus.replay (view-model: engine/present/replay.ts). The replay keys themselves
// are REPLAY_KEYMAP, bound by the app when it shows a replaying engine.

import { replayLines } from '../engine/present/replay.js';
import type { PanelDef } from './panels.js';

export const replayPanel: PanelDef = {
  id: 'replay', keys: ['R'], title: 'replay', live: true,
  help: 'replay panel: position, speed and the recorded tuning events (p play/pause, +/- speed, ,/. and [/] seek, e next event)',
  async load(api) {
    const st = (await api.status()).replay;
    if (!st) return ['this engine is not replaying a recording'];
    return replayLines(st, 60);
  },
};
