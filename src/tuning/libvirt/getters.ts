// Owns the parsing of virsh's getter outputs the libvirt planner reads before it changes anything
// (`schedinfo`, `numatune`, `blkiotune`, `blkdeviotune`, `domiftune`, `memtune`: `key : value`
// lines; `vcpupin`, `iothreadinfo`: tables; `emulatorpin`: `*: LIST`), and virsh's error text as one
// line. Pure.

/** `key : value` lines → map (values trimmed; an empty value stays ''). */
export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*:\s?(.*)$/.exec(line);
    if (m) out.set(m[1] as string, (m[2] as string).trim());
  }
  return out;
}

/** An integer value of a getter, or null (absent, empty, `unlimited`). */
export function intValue(kv: Map<string, string>, key: string): number | null {
  const v = kv.get(key);
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : null;
}

/** blkiotune's device lists: `/dev/vda,40,/dev/vdb,10` → path → value. */
export function parseDeviceList(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!text) return out;
  const parts = text.split(',').map((s) => s.trim());
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const v = parts[i + 1] as string;
    if (/^\d+$/.test(v)) out.set(parts[i] as string, Number(v));
  }
  return out;
}

/** Rows after the dashed rule of a virsh table, as `FIRST  REST` pairs. */
function tableRows(text: string): Array<[string, string]> {
  const lines = text.split('\n');
  const rule = lines.findIndex((l) => /^-{3,}\s*$/.test(l.trim()));
  if (rule < 0) return [];
  return lines.slice(rule + 1).flatMap((l) => {
    const m = /^\s*(\S+?):?\s+(\S.*?)\s*$/.exec(l);
    return m ? [[m[1] as string, m[2] as string] as [string, string]] : [];
  });
}

/** `virsh vcpupin DOM` → vCPU index → CPU list. */
export function parseVcpupin(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const [a, b] of tableRows(text)) if (/^\d+$/.test(a)) out.set(Number(a), b);
  return out;
}

/** `virsh iothreadinfo DOM` → IOThread id → CPU list (empty map for "No IOThreads found"). */
export function parseIothreadinfo(text: string): Map<number, string> {
  return parseVcpupin(text);
}

/** `virsh emulatorpin DOM` → the CPU list of the `*:` row. */
export function parseEmulatorpin(text: string): string | null {
  const m = /^\s*\*:\s*(\S+)\s*$/m.exec(text);
  return m ? (m[1] as string) : null;
}

/** virsh stderr → one line: "Unable to …" preface dropped, `error: `/`internal error: ` prefixes removed. */
export function virshErrorLine(stderr: string, stdout = ''): string {
  const lines = (stderr.trim() || stdout.trim()).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const parts = lines.map((l) => l.replace(/^error:\s*/, '').replace(/^internal error:\s*/, ''));
  const rest = parts.length > 1 && /^(Unable to|Failed to)\b/.test(parts[0] as string) ? parts.slice(1) : parts;
  return rest.join('; ') || 'virsh failed without a message';
}
