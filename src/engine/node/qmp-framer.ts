// Owns QMP message framing: splits the server's byte stream into whole JSON objects. QEMU ends each
// object with CRLF and, with `pretty=on`, spreads one object over many lines: whole compact lines are
// taken as they are (fast path); anything else is framed by tracking brace depth and string state,
// emitting an object when its depth returns to zero. Anything outside an object other than whitespace is garbage. A message longer than the cap
// (a line flooded without end) is refused before it is buffered further.

export class QmpFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpFramingError';
  }
}

export class QmpFramer {
  private parts: string[] = [];
  private partLen = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly maxMessageChars: number) {}

  /** characters of an unfinished message held back */
  get pendingChars(): number {
    return this.partLen;
  }

  /** Feed decoded text; returns the complete messages it closes. Throws QmpFramingError. */
  push(chunk: string): string[] {
    const out: string[] = [];
    let i = this.depth === 0 ? this.compactLines(chunk, out) : 0;
    let start = this.depth > 0 ? 0 : -1;
    for (; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.depth === 0) {
        if (c === 0x7b) { this.depth = 1; start = i; continue; }
        if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) continue;
        throw new QmpFramingError(`garbage outside a JSON object (byte 0x${c.toString(16).padStart(2, '0')})`);
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          const tail = chunk.slice(start, i + 1);
          if (this.partLen + tail.length > this.maxMessageChars) this.tooLong(this.partLen + tail.length);
          this.parts.push(tail);
          out.push(this.parts.join(''));
          this.parts = [];
          this.partLen = 0;
          start = -1;
        }
      }
    }
    if (this.depth > 0 && start >= 0) {
      const rest = chunk.slice(start);
      this.partLen += rest.length;
      this.parts.push(rest);
      if (this.partLen > this.maxMessageChars) this.tooLong(this.partLen);
    }
    return out;
  }

  /**
   * Fast path for QEMU's default (compact) output: at depth 0, a line that starts with `{` and ends
   * with `}` before its CRLF is one whole message — taken with indexOf instead of a scan per
   * character (JSON.parse validates it next). Returns where the character scan has to go on: at the
   * first pretty-printed or unfinished line.
   */
  private compactLines(chunk: string, out: string[]): number {
    let i = 0;
    for (;;) {
      while (i < chunk.length && isSpace(chunk.charCodeAt(i))) i++;
      if (i >= chunk.length || chunk.charCodeAt(i) !== 0x7b) return i;
      const nl = chunk.indexOf('\n', i);
      if (nl < 0) return i;
      let end = nl;
      while (end > i && isSpace(chunk.charCodeAt(end - 1))) end--;
      if (end - i < 2 || chunk.charCodeAt(end - 1) !== 0x7d) return i;
      if (end - i > this.maxMessageChars) this.tooLong(end - i);
      out.push(chunk.slice(i, end));
      i = nl + 1;
    }
  }

  private tooLong(n: number): never {
    this.parts = [];
    this.partLen = 0;
    throw new QmpFramingError(`QMP message of ${n}+ bytes exceeds the ${this.maxMessageChars}-byte cap`);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}
