// Owns a minimal XML reader for the documents libvirt generates (domain XML, status XML): elements,
// attributes, text, the five predefined entities and numeric character references; comments,
// processing instructions and CDATA are skipped or kept as text. Pure. It is not a general XML
// parser (no DTDs, no namespaces beyond keeping the prefixed name). The collector layer may not
// import npm packages (layering rules), and libvirt's output is machine-written and simple.

import { HostError } from '../../engine/model/errors.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** concatenated text directly inside this element, trimmed */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, ent: string) => {
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    return ENTITIES[ent] ?? whole;
  });
}

const ATTR = /([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g;

/** Parse a document; returns the root element. Throws HostError('parse') on malformed input. */
export function parseXml(text: string): XmlElement {
  const fail = (msg: string): HostError => new HostError('parse', `cannot parse XML: ${msg}`);
  const stack: XmlElement[] = [];
  const texts: string[][] = [];
  let root: XmlElement | null = null;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk.trim() !== '') {
      if (stack.length === 0) throw fail('text outside the root element');
      (texts[texts.length - 1] as string[]).push(decode(chunk));
    }
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) throw fail('unterminated comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end < 0 || stack.length === 0) throw fail('bad CDATA section');
      (texts[texts.length - 1] as string[]).push(text.slice(lt + 9, end));
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', lt) || text.startsWith('<!', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0) throw fail('unterminated declaration');
      i = end + 1;
      continue;
    }
    const gt = findTagEnd(text, lt);
    if (gt < 0) throw fail('unterminated tag');
    const body = text.slice(lt + 1, gt);
    i = gt + 1;
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      const open = stack.pop();
      const parts = texts.pop();
      if (!open || open.name !== name) throw fail(`unexpected </${name}>`);
      open.text = (parts ?? []).join('').trim();
      continue;
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const m = /^([^\s/>]+)/.exec(inner);
    if (!m) throw fail('empty tag');
    const el: XmlElement = { name: m[1] as string, attrs: {}, children: [], text: '' };
    for (const a of inner.slice(m[0].length).matchAll(ATTR)) {
      el.attrs[a[1] as string] = decode(a[3] ?? a[4] ?? '');
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) throw fail('more than one root element');
    else root = el;
    if (!selfClosing) {
      stack.push(el);
      texts.push([]);
    }
  }
  if (stack.length > 0) throw fail(`<${(stack[stack.length - 1] as XmlElement).name}> is not closed`);
  if (!root) throw fail('no root element');
  return root;
}

/** index of the `>` that ends the tag starting at `lt`, skipping quoted attribute values */
function findTagEnd(text: string, lt: number): number {
  let quote: string | null = null;
  for (let j = lt + 1; j < text.length; j++) {
    const c = text[j];
    if (quote) { if (c === quote) quote = null; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
  }
  return -1;
}

/** First child element with this name (or a path `a/b/c`). */
export function child(el: XmlElement | null | undefined, path: string): XmlElement | null {
  let cur: XmlElement | null = el ?? null;
  for (const part of path.split('/')) {
    if (!cur) return null;
    cur = cur.children.find((c) => c.name === part) ?? null;
  }
  return cur;
}

/** All child elements with this name. */
export function children(el: XmlElement | null | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** Text of a child element (path), or null when absent. */
export function childText(el: XmlElement | null | undefined, path: string): string | null {
  const c = child(el, path);
  return c ? c.text : null;
}
