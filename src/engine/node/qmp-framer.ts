// Owns QMP message framing: splits the server's byte stream into whole JSON objects. QEMU ends each
// object with CRLF and, with `pretty=on`, spreads one object over many lines, so we do not split on
// newlines: we track brace depth and string state instead and emit an object when its depth returns
// to zero. Anything outside an object other than whitespace is garbage. A message longer than the cap
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
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
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

  private tooLong(n: number): never {
    this.parts = [];
    this.partLen = 0;
    throw new QmpFramingError(`QMP message of ${n}+ bytes exceeds the ${this.maxMessageChars}-byte cap`);
  }
}
