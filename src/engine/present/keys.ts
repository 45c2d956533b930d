// Owns the keyboard shortcuts every interactive face offers (the TUI and the desktop/browser renderer
// bind the same keys to the same actions, so a tuning session feels alike in both). Keys are named as
// KeyboardEvent.key values; a face maps them to its own toolkit's names.

export type KeyAction =
  | 'help' | 'filter' | 'sortNext' | 'sortReverse' | 'down' | 'up' | 'open' | 'back'
  | 'tune' | 'undo' | 'keep' | 'mark' | 'compare' | 'advice' | 'audit' | 'guests' | 'theme';

export interface KeyBinding { action: KeyAction; keys: readonly string[]; help: string }

export const KEY_BINDINGS: readonly KeyBinding[] = [
  { action: 'help', keys: ['?'], help: 'show / hide this help' },
  { action: 'filter', keys: ['/'], help: 'filter guests by name or id ("limited": only limited guests)' },
  { action: 'sortNext', keys: ['s'], help: 'sort by the next column' },
  { action: 'sortReverse', keys: ['S'], help: 'reverse the sort order' },
  { action: 'down', keys: ['j', 'ArrowDown'], help: 'next guest' },
  { action: 'up', keys: ['k', 'ArrowUp'], help: 'previous guest' },
  { action: 'open', keys: ['Enter'], help: 'open the selected guest' },
  { action: 'back', keys: ['Escape'], help: 'back / close dialog' },
  { action: 'tune', keys: ['t'], help: 'tune the selected guest' },
  { action: 'undo', keys: ['u'], help: 'undo the last change' },
  { action: 'keep', keys: ['K'], help: 'keep the last change (stop its revert timer)' },
  { action: 'mark', keys: [' '], help: 'mark the selected guest for comparison' },
  { action: 'compare', keys: ['c'], help: 'compare the marked guests on one chart' },
  { action: 'advice', keys: ['a'], help: 'advisor and lint' },
  { action: 'audit', keys: ['A'], help: 'audit log and change journal' },
  { action: 'guests', keys: ['g'], help: 'guest table' },
  { action: 'theme', keys: ['T'], help: 'light / dark theme' },
];

export function actionForKey(key: string): KeyAction | null {
  for (const b of KEY_BINDINGS) if (b.keys.includes(key)) return b.action;
  return null;
}
