/** Tiny DOM helpers: every value goes through textContent, never innerHTML. */

/**
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined>} [attrs]
 * @param {...(Node | string | number | null | undefined)} children
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key === 'class') el.className = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces the children of the element with id `id`. */
export function fill(id, ...children) {
  const el = document.getElementById(id);
  if (el) el.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
}

export function ago(iso) {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

export function until(iso) {
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (s <= 0) return 'due';
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.floor(s / 60)} min`;
  return `in ${Math.floor(s / 3600)} h`;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : '—';
}

/** Headers starting with '#' are numeric columns (right-aligned); the '#' is not shown. */
export function table(headers, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  const th = (x) => (x.startsWith('#') ? h('th', { class: 'num' }, x.slice(1)) : h('th', {}, x));
  return h('table', {}, h('thead', {}, h('tr', {}, ...headers.map(th))), h('tbody', {}, ...rows));
}
