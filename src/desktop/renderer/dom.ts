// Owns the renderer's tiny DOM helper: h(tag, attrs, ...children) builds elements with text children
// (never innerHTML: every string is a text node, so nothing from the engine can inject markup).

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/**
 * Set text only when it changed (cheap repeated updates). An element holding one text node keeps that
 * node and only its data changes: no node is replaced, so the browser re-lays out just that text.
 */
export function setText(el: Node, text: string): void {
  const f = el.firstChild;
  if (f !== null && f === el.lastChild && f.nodeType === Node.TEXT_NODE) {
    if ((f as Text).data !== text) (f as Text).data = text;
    return;
  }
  if (el.textContent !== text) el.textContent = text;
}

/**
 * Keep exactly `n` element children of `parent`, reusing the ones already there (made by `make` when
 * missing, extra ones removed); returns them in order. Views that redraw every second update these in
 * place instead of rebuilding their subtree.
 */
export function syncChildren<E extends Element>(parent: Element, n: number, make: () => E): E[] {
  while (parent.children.length > n) parent.lastElementChild!.remove();
  while (parent.children.length < n) parent.append(make());
  return Array.from(parent.children) as E[];
}
