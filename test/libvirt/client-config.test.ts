// Which libvirt a client with no URI asks, as virsh decides it: the named URI, LIBVIRT_DEFAULT_URI,
// libvirt.conf's uri_default, then libvirt's probe (root: the system daemon). The libvirt.conf text
// below is modelled on Debian's shipped file (every setting commented out).
import { describe, expect, it } from 'vitest';
import { clientConfigPath, effectiveLibvirtUri, isLocalSystemUri, parseUriDefault } from '../../src/collector/libvirt/client-config.js';

const SHIPPED = [
  '#',
  '# This can be used to setup URI aliases for frequently',
  '# used connection URIs. Aliases may contain only the',
  '# characters  a-Z, 0-9, _, -.',
  '#',
  '#uri_aliases = [',
  '#  "hail=qemu+ssh://root@hail.cloud.example.com/system",',
  '#  "sleet=qemu+ssh://root@sleet.cloud.example.com/system",',
  '#]',
  '',
  '#',
  '# These can be used in cases when no URI is supplied by the application',
  '# (@uri_default also prevents probing of the hypervisor driver).',
  '#',
  '#uri_default = "qemu:///system"',
].join('\n');

describe('parseUriDefault', () => {
  it('is null for the shipped file (every setting commented out)', () => {
    expect(parseUriDefault(SHIPPED)).toBeNull();
  });
  it('reads an uncommented setting, double or single quoted, with a trailing comment; the last one wins', () => {
    expect(parseUriDefault(`${SHIPPED}\nuri_default = "qemu+ssh://root@hail/system"`)).toBe('qemu+ssh://root@hail/system');
    expect(parseUriDefault("  uri_default='qemu:///session'   # mine")).toBe('qemu:///session');
    expect(parseUriDefault('uri_default = "qemu:///session"\nuri_default = "qemu:///system"')).toBe('qemu:///system');
  });
  it('ignores malformed and empty settings', () => {
    expect(parseUriDefault('uri_default = qemu:///system')).toBeNull();
    expect(parseUriDefault('uri_default = ""')).toBeNull();
    expect(parseUriDefault('my_uri_default = "qemu:///session"')).toBeNull();
  });
});

describe('effectiveLibvirtUri and isLocalSystemUri', () => {
  const conf = (text: string | null) => (): string | null => text;
  const never = (): string | null => { throw new Error('libvirt.conf read although a URI was named'); };

  it('the named URI, then LIBVIRT_DEFAULT_URI, win without reading libvirt.conf', () => {
    expect(effectiveLibvirtUri('qemu:///session', 'qemu:///system', never)).toBe('qemu:///session');
    expect(effectiveLibvirtUri(null, 'qemu+ssh://h/system', never)).toBe('qemu+ssh://h/system');
  });
  it('then uri_default; else null (libvirt probes)', () => {
    expect(effectiveLibvirtUri(null, undefined, conf('uri_default = "qemu+ssh://h/system"'))).toBe('qemu+ssh://h/system');
    expect(effectiveLibvirtUri(null, '', conf(SHIPPED))).toBeNull();
    expect(effectiveLibvirtUri(null, undefined, conf(null))).toBeNull();
  });
  it("root's probe and the local system URIs are this host's system daemon; a remote or session URI is not", () => {
    expect(isLocalSystemUri(null, true)).toBe(true);
    expect(isLocalSystemUri(null, false)).toBe(false);
    expect(isLocalSystemUri('qemu:///system', false)).toBe(true);
    expect(isLocalSystemUri('qemu+unix:///system', true)).toBe(true);
    expect(isLocalSystemUri('qemu+ssh://root@hail/system', true)).toBe(false);
    expect(isLocalSystemUri('qemu:///session', true)).toBe(false);
  });
});

describe('clientConfigPath', () => {
  it("root's is system-wide; a user's is under XDG_CONFIG_HOME, else ~/.config", () => {
    expect(clientConfigPath(true, { HOME: '/root' })).toBe('/etc/libvirt/libvirt.conf');
    expect(clientConfigPath(false, { XDG_CONFIG_HOME: '/x', HOME: '/home/a' })).toBe('/x/libvirt/libvirt.conf');
    expect(clientConfigPath(false, { HOME: '/home/a' })).toBe('/home/a/.config/libvirt/libvirt.conf');
    expect(clientConfigPath(false, {})).toBeNull();
  });
});
