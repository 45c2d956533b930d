// Owns the examples `virtune --help` shows. Each runs as written on the demo host (add --demo after
// `virtune`): demo guest and device names, and test/firstcontact/examples.test.ts runs every one.

export const HELP_EXAMPLES: readonly string[] = [
  'virtune --demo watch --count 3',
  'virtune snapshot --json',
  'virtune tune web-01 --cpu-quota 150% --dry-run',
  'virtune tune web-01 --net vnet0:in=100mbit,out=50mbit --yes',
  'virtune advise --need 4:8G',
  'virtune advise --lint',
];

export function examplesHelp(): string {
  return `\nExamples (guest and device names of the demo host; add --demo to try them there):\n${HELP_EXAMPLES.map((e) => `  ${e}`).join('\n')}\n`;
}
