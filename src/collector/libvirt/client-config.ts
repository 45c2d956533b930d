// Owns which libvirt a client asks when it is given no URI, the way libvirt's own clients (virsh)
// decide: LIBVIRT_DEFAULT_URI, else `uri_default` in the client configuration (libvirt.conf: root's
// /etc/libvirt/libvirt.conf, another user's $XDG_CONFIG_HOME/libvirt/libvirt.conf), else root's system
// daemon or the user's session daemon. Pure: the caller reads the environment and the file.

/** The last `uri_default = "…"` (or '…') setting of libvirt.conf text that is not commented out; null when none. */
export function parseUriDefault(conf: string): string | null {
  let uri: string | null = null;
  for (const line of conf.split('\n')) {
    const m = /^\s*uri_default\s*=\s*(["'])(.*?)\1\s*(#.*)?$/.exec(line);
    if (m) uri = m[2] as string;
  }
  return uri === '' ? null : uri;
}

/** Where the client configuration of a user lives (root's is system-wide). */
export function clientConfigPath(isRoot: boolean, env: { XDG_CONFIG_HOME?: string; HOME?: string }): string | null {
  if (isRoot) return '/etc/libvirt/libvirt.conf';
  const base = env.XDG_CONFIG_HOME || (env.HOME ? `${env.HOME}/.config` : null);
  return base ? `${base}/libvirt/libvirt.conf` : null;
}

/**
 * The URI a client opens: the one named (--libvirt-uri), else LIBVIRT_DEFAULT_URI, else the
 * configuration's uri_default (`readConf` gives its text, null when there is none); null when none of
 * them names one (libvirt then probes: root's qemu:///system, a user's qemu:///session).
 */
export function effectiveLibvirtUri(named: string | null, envUri: string | undefined, readConf: () => string | null): string | null {
  if (named !== null) return named;
  if (envUri) return envUri;
  const conf = readConf(); // read only when nothing before it names a URI
  return conf === null ? null : parseUriDefault(conf);
}

/** True when that URI (null: libvirt's probe) is this host's system QEMU daemon. */
export function isLocalSystemUri(uri: string | null, isRoot: boolean): boolean {
  return uri === null ? isRoot : /^qemu(\+unix)?:\/\/\/system$/.test(uri);
}
