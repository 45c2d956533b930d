// Owns the registry of side panels: each panel has an id, a key, a title and a load() that asks the
// engine (through EngineApi only) and returns text lines. The app opens a panel on its key and loads
// it on the one tick, never on a timer of its own. Later panels (diagnosis: "why is this guest slow",
// replay controls) are added here by id without touching the app; the diagnosis panel is one.

import { diagnosisLines } from '../engine/present/diagnosis.js';
import { formatBytes } from '../engine/present/format.js';
import type { KeyBinding } from '../engine/present/keymap.js';
import type { EngineApi } from '../engine/protocol/api.js';

export interface PanelContext {
  /** the selected guest's id (null when none) */
  guestId: string | null;
  windowSec: number;
}

export interface PanelDef {
  id: string;
  keys: string[];
  title: string;
  help: string;
  /** reload on every tick while open (live panels); otherwise loaded once on open */
  live: boolean;
  load(api: EngineApi, ctx: PanelContext): Promise<string[]>;
}

export const advisorPanel: PanelDef = {
  id: 'advisor', keys: ['a'], title: 'advisor and lint', help: 'advisor and lint panel', live: false,
  async load(api) {
    const [moves, findings] = await Promise.all([api.adviseHost(), api.lint()]);
    const lines = ['NUMA placement moves that would lower host cost:'];
    if (moves.length === 0) lines.push('  none: every guest is placed as well as it can be');
    for (const m of moves) {
      lines.push(`  ${m.guest}: nodes ${m.fromNodes ?? '-'} -> ${m.toNodes} (migrates ${formatBytes(m.migrateBytes)})${m.reason ? `  ${m.reason}` : ''}`);
      lines.push(`    virtune tune ${m.guest} --nodeset ${m.toNodes}${m.toCpus ? ` --cpuset ${m.toCpus}` : ''}`);
    }
    lines.push('', 'lint:');
    if (findings.length === 0) lines.push('  no findings');
    for (const f of findings) {
      lines.push(`  ${f.severity.toUpperCase()} ${f.rule}${f.guest ? ` ${f.guest}` : ''}: ${f.message}`);
      if (f.suggestion) lines.push(`    ${f.suggestion}`);
    }
    return lines;
  },
};

export const auditPanel: PanelDef = {
  id: 'audit', keys: ['L'], title: 'audit log', help: 'audit log panel (newest last)', live: true,
  async load(api) {
    const entries = await api.auditLog(200);
    if (entries.length === 0) return ['(the audit log is empty)'];
    return entries.map((e) => `${e.time.slice(11, 19)} ${e.action.padEnd(8)} ${e.result.padEnd(7)} ${e.guest ?? 'host'} ${e.changeId ?? ''} ${e.user ?? e.uid ?? ''} ${e.old ?? ''}${e.new !== null ? ` -> ${e.new}` : ''}${e.message ? `  ${e.message}` : ''}`);
  },
};

/** Seconds of history the diagnosis panel explains (the default window of `virtune why`). */
export const DIAGNOSIS_WINDOW_SEC = 10;

export const diagnosisPanel: PanelDef = {
  id: 'why', keys: ['W'], title: 'why is this guest slow', help: 'diagnosis of the selected guest: ranked causes, evidence, fixes, noisy neighbours', live: true,
  async load(api, ctx) {
    if (ctx.guestId === null) return ['select a guest first (up/down in the table)'];
    return diagnosisLines(await api.diagnose(ctx.guestId, DIAGNOSIS_WINDOW_SEC));
  },
};

export const BASE_PANELS: readonly PanelDef[] = [diagnosisPanel, advisorPanel, auditPanel];

/** Key bindings of the panels (action `panel:<id>`), for the key map and the help overlay. */
export function panelBindings(panels: readonly PanelDef[]): KeyBinding[] {
  return panels.map((p) => ({ action: `panel:${p.id}`, keys: p.keys, context: 'global' as const, help: p.help }));
}
