// Owns lossless JSON parsing for QMP (socket and virsh paths alike): safe integers and every
// non-integer come back as numbers, integers beyond ±(2^53-1) as exact decimal strings — never
// rounded. Native JSON.parse does the work; when the text holds a run of 16 or more digits (the only
// place an unsafe integer can hide), those tokens outside strings are quoted first.

/** A string token, or an integer token of 16+ digits that is not part of a fraction or exponent. */
const TOKEN = /"(?:[^"\\]|\\.)*"|(?<![\w.+-])-?\d{16,}(?![\w.])/g;

function quoteUnsafe(m: string): string {
  if (m.charCodeAt(0) === 34) return m; // a string: untouched
  return Number.isSafeInteger(Number(m)) ? m : `"${m}"`;
}

/** Parse JSON text; throws SyntaxError on invalid JSON. */
export function parseJsonLossless(text: string): unknown {
  return JSON.parse(/\d{16}/.test(text) ? text.replace(TOKEN, quoteUnsafe) : text);
}
