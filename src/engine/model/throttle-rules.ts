// Owns QEMU's block_set_io_throttle rules (util/throttle.c throttle_is_valid) as one pure check: the first
// rule a set of QMP throttle arguments breaks, or null. Tuning (QMP and libvirt blkdeviotune planning)
// and the demo's simulated QEMU both ask this function and only word the answer their own way.

/** QEMU's bound for every limit and for burst × burst length. */
export const THROTTLE_VALUE_MAX = 1e15;
/** QEMU's bound for a burst length (seconds). */
export const THROTTLE_LENGTH_MAX = 4294967295;

const KINDS = ['bps', 'bps_rd', 'bps_wr', 'iops', 'iops_rd', 'iops_wr'] as const;

export type ThrottleViolation =
  /** `${kind}${suf}` (total) and `${kind}_rd${suf}`/`${kind}_wr${suf}` are both set */
  | { rule: 'totalWithReadWrite'; kind: 'bps' | 'iops'; suf: '' | '_max' }
  /** a numeric argument outside [0, THROTTLE_VALUE_MAX] */
  | { rule: 'range'; key: string; value: number }
  /** `${key}_max` set while `${key}` is 0 */
  | { rule: 'maxWithoutBase'; key: string }
  /** `${key}_max` lower than `${key}` */
  | { rule: 'maxBelowBase'; key: string; max: number; base: number }
  /** `${key}_max_length` below 1 */
  | { rule: 'lengthZero'; key: string }
  /** `${key}_max_length` above 1 without `${key}_max` */
  | { rule: 'lengthWithoutMax'; key: string; length: number }
  /** `${key}_max_length` above THROTTLE_LENGTH_MAX */
  | { rule: 'lengthRange'; key: string; length: number }
  /** `${key}_max` × `${key}_max_length` above THROTTLE_VALUE_MAX */
  | { rule: 'burstTooHigh'; key: string }
  /** iops_size without any iops limit */
  | { rule: 'iopsSizeWithoutIops' };

/**
 * The first rule the arguments break (null: QEMU accepts them). Keys absent or not numbers count as 0;
 * a burst length is checked only when present.
 */
export function throttleViolation(a: Readonly<Record<string, number | string>>): ThrottleViolation | null {
  const n = (k: string): number => (typeof a[k] === 'number' ? (a[k] as number) : 0);
  for (const kind of ['bps', 'iops'] as const) {
    for (const suf of ['', '_max'] as const) {
      if (n(`${kind}${suf}`) > 0 && (n(`${kind}_rd${suf}`) > 0 || n(`${kind}_wr${suf}`) > 0)) return { rule: 'totalWithReadWrite', kind, suf };
    }
  }
  for (const [key, value] of Object.entries(a)) {
    if (typeof value === 'number' && (value < 0 || value > THROTTLE_VALUE_MAX)) return { rule: 'range', key, value };
  }
  for (const key of KINDS) {
    const base = n(key);
    const max = n(`${key}_max`);
    const len = a[`${key}_max_length`];
    if (max > 0 && base === 0) return { rule: 'maxWithoutBase', key };
    if (max > 0 && max < base) return { rule: 'maxBelowBase', key, max, base };
    if (len !== undefined) {
      const length = Number(len);
      if (length < 1) return { rule: 'lengthZero', key };
      if (length > 1 && max === 0) return { rule: 'lengthWithoutMax', key, length };
      if (length > THROTTLE_LENGTH_MAX) return { rule: 'lengthRange', key, length };
      if (max * length > THROTTLE_VALUE_MAX) return { rule: 'burstTooHigh', key };
    }
  }
  if (n('iops_size') > 0 && n('iops') === 0 && n('iops_rd') === 0 && n('iops_wr') === 0) return { rule: 'iopsSizeWithoutIops' };
  return null;
}
