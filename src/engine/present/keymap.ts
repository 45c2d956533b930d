// Owns the key map of the interactive faces as data: which key does what in which context, and the
// help text built from it (the `?` overlay lists exactly this table, so help cannot drift from the
// keys; side panels add their own bindings, `panel:<id>`, through extendKeyMap). Key names follow blessed's (`C-c`, `enter`, `escape`, `space`, `S-tab`). Panels added later
// (diagnosis, replay controls) extend it with extendKeyMap() instead of editing the faces.

export type KeyContext = 'global' | 'table' | 'detail' | 'tuning' | 'panel';

export interface KeyBinding {
  action: string;
  keys: string[];
  context: KeyContext;
  help: string;
}

export const BASE_KEYMAP: readonly KeyBinding[] = [
  { action: 'quit', keys: ['q', 'C-c'], context: 'global', help: 'quit (restores the terminal)' },
  { action: 'help', keys: ['?'], context: 'global', help: 'this help (any key closes it)' },
  { action: 'pause', keys: ['space'], context: 'global', help: 'pause / resume the view (sampling goes on)' },
  { action: 'back', keys: ['escape'], context: 'global', help: 'back to the guest table / close a panel' },
  { action: 'undo', keys: ['u'], context: 'global', help: 'undo the last change made here' },
  { action: 'keep', keys: ['k'], context: 'global', help: 'keep the last change (cancel its revert timer)' },
  { action: 'up', keys: ['up', 'K'], context: 'table', help: 'select the guest above' },
  { action: 'down', keys: ['down', 'J'], context: 'table', help: 'select the guest below' },
  { action: 'top', keys: ['home', 'g'], context: 'table', help: 'first guest' },
  { action: 'bottom', keys: ['end', 'G'], context: 'table', help: 'last guest' },
  { action: 'open', keys: ['enter'], context: 'table', help: 'guest detail: charts and settings' },
  { action: 'filter', keys: ['/'], context: 'table', help: 'filter guests by name or id (enter keeps, escape clears)' },
  { action: 'sortNext', keys: ['s', '>'], context: 'table', help: 'sort by the next column' },
  { action: 'sortPrev', keys: ['<'], context: 'table', help: 'sort by the previous column' },
  { action: 'sortReverse', keys: ['r'], context: 'table', help: 'reverse the sort order' },
  { action: 'sortCpu', keys: ['c'], context: 'table', help: 'sort by CPU' },
  { action: 'sortMem', keys: ['m'], context: 'table', help: 'sort by memory' },
  { action: 'sortDisk', keys: ['d'], context: 'table', help: 'sort by disk bytes/s' },
  { action: 'sortName', keys: ['n'], context: 'table', help: 'sort by name' },
  { action: 'sortSuffer', keys: ['S'], context: 'table', help: 'sort by who suffers most (waiting, throttled, at a limit, paused)' },
  { action: 'tune', keys: ['t'], context: 'table', help: 'tuning panel for the selected guest' },
  { action: 'tune', keys: ['t'], context: 'detail', help: 'tuning panel for this guest' },
  { action: 'window', keys: ['w'], context: 'detail', help: 'chart window: 1, 5, 15 minutes' },
  { action: 'nextSection', keys: ['tab', 'right'], context: 'detail', help: 'next section: overview, cpu, disks, network, memory (when all does not fit)' },
  { action: 'prevSection', keys: ['S-tab', 'left'], context: 'detail', help: 'previous section' },
  { action: 'scrollDown', keys: ['down', 'J'], context: 'detail', help: 'scroll the section down' },
  { action: 'scrollUp', keys: ['up', 'K'], context: 'detail', help: 'scroll the section up' },
  { action: 'pageDown', keys: ['pagedown'], context: 'detail', help: 'scroll the section down a screen' },
  { action: 'pageUp', keys: ['pageup'], context: 'detail', help: 'scroll the section up a screen' },
  { action: 'nextKnob', keys: ['down', 'tab'], context: 'tuning', help: 'next setting' },
  { action: 'prevKnob', keys: ['up', 'S-tab'], context: 'tuning', help: 'previous setting' },
  { action: 'edit', keys: ['enter'], context: 'tuning', help: 'type a value, then preview the plan' },
  { action: 'apply', keys: ['y'], context: 'tuning', help: 'apply the previewed plan' },
  { action: 'revertTimer', keys: ['T'], context: 'tuning', help: 'set an auto-revert timer (seconds) for the next apply' },
];

export function extendKeyMap(base: readonly KeyBinding[], extra: readonly KeyBinding[]): KeyBinding[] {
  return [...base, ...extra];
}

/** The action bound to `key` in `context` (context bindings win over global ones); null when none. */
export function actionFor(map: readonly KeyBinding[], context: KeyContext, key: string): string | null {
  const hit = map.find((b) => b.context === context && b.keys.includes(key))
    ?? map.find((b) => b.context === 'global' && b.keys.includes(key));
  return hit ? hit.action : null;
}

const CONTEXT_TITLE: Record<KeyContext, string> = {
  global: 'everywhere', table: 'guest table', detail: 'guest detail', tuning: 'tuning panel', panel: 'panels',
};

/** Human key name: `C-c` → `Ctrl-C`, `S-tab` → `Shift-Tab`, `space` → `Space`. */
export function keyLabel(k: string): string {
  if (k.startsWith('C-')) return `Ctrl-${k.slice(2).toUpperCase()}`;
  if (k.startsWith('S-')) return `Shift-${keyLabel(k.slice(2))}`;
  return k.length > 1 ? k[0]!.toUpperCase() + k.slice(1) : k;
}

/** Help text: one section per context, `keys  what it does` lines. */
export function helpLines(map: readonly KeyBinding[]): string[] {
  const lines: string[] = [];
  for (const ctx of Object.keys(CONTEXT_TITLE) as KeyContext[]) {
    const bs = map.filter((b) => b.context === ctx);
    if (bs.length === 0) continue;
    if (lines.length) lines.push('');
    lines.push(CONTEXT_TITLE[ctx]);
    for (const b of bs) lines.push(`  ${b.keys.map(keyLabel).join(', ').padEnd(14)} ${b.help}`);
  }
  return lines;
}
