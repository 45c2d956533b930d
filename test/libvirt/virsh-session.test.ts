// Unit tests of the virsh session's pure parts: the reply clean-up (prompts, readline's echo of our
// command and framing lines, long lines redrawn with carriage returns) and the argument quoting.
import { describe, expect, it } from 'vitest';
import { cleanVirshOutput, quoteVirshArg } from '../../src/collector/qmp/virsh-channel.js';

describe('cleanVirshOutput', () => {
  it('drops the echoed command and the framing echoes of this and the previous request', () => {
    const raw = '\nvirsh # echo --err --split @@VT,,3@@\nvirsh # domstats --raw --state\nDomain: \'a\'\n  state.state=1\n\nvirsh # echo --split @@VT,,4@@\n';
    expect(cleanVirshOutput(raw)).toBe("Domain: 'a'\n  state.state=1\n\n");
  });
  it('drops a long echoed line that readline redrew with carriage returns', () => {
    const raw = 'virsh # qemu-monitor-command vm \'{"execute":"qom-get","arguments":\r:{"path":"/objects/pc.ram","property":"type"}}\'\n{"return":"memory-backend-ram","id":"libvirt-421"}\nvirsh # echo --split @@VT,,11@@\n';
    expect(cleanVirshOutput(raw)).toBe('{"return":"memory-backend-ram","id":"libvirt-421"}\n');
  });
  it('output that does not end in a newline is cut before the next prompt', () => {
    expect(cleanVirshOutput('virsh # echo x\nxvirsh # echo --split @@VT,,1@@\n')).toBe('x');
  });
  it('a virsh without the echo: the output is kept whole', () => {
    expect(cleanVirshOutput('<domain>\n</domain>\n')).toBe('<domain>\n</domain>\n');
    expect(cleanVirshOutput('')).toBe('');
  });
});

describe('quoteVirshArg', () => {
  it('passes plain words, quotes the rest, refuses what one line cannot carry', () => {
    expect(quoteVirshArg('vm-01_a.b')).toBe('vm-01_a.b');
    expect(quoteVirshArg('{"execute":"x"}')).toBe('\'{"execute":"x"}\'');
    expect(quoteVirshArg('a b')).toBe("'a b'");
    expect(quoteVirshArg("it's")).toBe('"it\'s"');
    expect(quoteVirshArg('')).toBe("''");
    expect(() => quoteVirshArg('a\nb')).toThrow(/line break/);
    expect(() => quoteVirshArg('a\'b"c')).toThrow(/cannot be quoted/);
  });
});
