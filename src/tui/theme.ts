// Owns the TUI's colours: one Theme built once from NO_COLOR (https://no-color.org: any non-empty value
// turns colour off; attributes such as bold and inverse stay, so highlighting still shows), and the
// blessed tag helpers every view uses. Text from the host (guest names) goes through esc() so a `{`
// in a name is never read as a tag.

export interface Theme {
  color: boolean;
  /** wrap text in a foreground colour tag (nothing without colour) */
  fg(text: string, color: string): string;
  bold(text: string): string;
  inverse(text: string): string;
  /** style objects for blessed widgets */
  border: { fg?: string };
  chartLine(i: number): string;
  chartLimit: string;
}

export function esc(text: string): string {
  return text.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

const CHART_COLOURS = ['green', 'yellow', 'cyan', 'magenta', 'blue', 'white'];

export function makeTheme(env: Record<string, string | undefined>): Theme {
  const color = !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
  return {
    color,
    fg: (t, c) => (color ? `{${c}-fg}${t}{/${c}-fg}` : t),
    bold: (t) => `{bold}${t}{/bold}`,
    inverse: (t) => `{inverse}${t}{/inverse}`,
    border: color ? { fg: 'blue' } : {},
    chartLine: (i) => (color ? (CHART_COLOURS[i % CHART_COLOURS.length] as string) : 'normal'),
    chartLimit: color ? 'red' : 'normal',
  };
}
