// Building the page from data. Every string from the daemon (refs, log lines,
// reasons: bytes that hosts and users chose) becomes a text node, never markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = dv;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const COLOURS = ['blue', 'green'];
export const other = (colour) => (colour === 'blue' ? 'green' : colour === 'green' ? 'blue' : null);
export const title = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

// "blue:90,green:10" -> {blue: 90, green: 10}; null stays null.
export function parseRouting(routing) {
  if (!routing) return null;
  const out = { blue: 0, green: 0 };
  for (const part of routing.split(',')) {
    const [colour, weight] = part.split(':');
    if (colour in out) out[colour] = Number(weight);
  }
  return out;
}

export function isSplit(routing) {
  const w = parseRouting(routing);
  return !!w && w.blue > 0 && w.green > 0;
}

export function routingText(routing) {
  const w = parseRouting(routing);
  if (!w) return 'unknown';
  if (w.blue > 0 && w.green > 0) return 'blue ' + w.blue + ' %, green ' + w.green + ' %';
  return w.blue > 0 ? 'blue' : 'green';
}

export const shortSha = (sha) => (sha ? sha.slice(0, 7) : null);

// "1.1.0, d4e5f6a" for a colour's release; what a confirmation names.
export function releaseText(c) {
  if (!c || !c.ref) return 'no release deployed by bluegreen';
  return c.sha ? c.ref + ', ' + shortSha(c.sha) : c.ref;
}

export function ago(iso, now = Date.now()) {
  if (!iso) return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400) return Math.floor(s / 3600) + ' h ago';
  return Math.floor(s / 86400) + ' d ago';
}

// A <time> that the page refreshes in place (see refreshTimes).
export function when(iso) {
  if (!iso) return h('span', {}, 'never');
  return h('time', { datetime: iso, title: iso, class: 'ago' }, ago(iso));
}

export function refreshTimes(root = document) {
  const now = Date.now();
  for (const t of root.querySelectorAll('time.ago')) t.textContent = ago(t.getAttribute('datetime'), now);
}

export function duration(fromIso, toIso) {
  if (!fromIso || !toIso) return null;
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (ms < 1000) return ms + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
}

export function swatch(colour) {
  return h('span', { class: 'swatch ' + colour, 'aria-hidden': 'true' });
}

// What an operation did, in a few words: "deploy main", "switch to green".
export function operationText(op) {
  switch (op.kind) {
    case 'deploy':
      return 'deploy ' + (op.ref || '') + (op.colour ? ' to ' + op.colour : '');
    case 'switch':
      return 'switch to ' + (op.colour || '?');
    case 'rollback':
      return 'rollback to ' + (op.colour || '?');
    case 'task':
      return 'task ' + (op.task || '') + (op.colour ? ' on ' + op.colour : '');
    default:
      return op.kind;
  }
}
