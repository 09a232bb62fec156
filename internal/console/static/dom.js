// Building DOM nodes without HTML strings: every text goes in as text, so
// nothing a bucket, key or message holds can become markup.

// h makes an element: h('a', {href: '#/jobs', class: 'nav'}, 'Jobs').
// Props named on* that hold functions become listeners; value, checked,
// disabled and selected are set as properties; null and false are left out.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (['value', 'checked', 'disabled', 'selected'].includes(name)) {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

// append adds children (nodes, strings, numbers, arrays of them) to el.
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// replace swaps el's children for the given ones.
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

// bytes writes a byte count for people: 1.5 MiB.
export function bytes(n) {
  if (n == null || Number.isNaN(n)) return '–';
  let v = Number(n);
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

// count writes an integer with thousands separators.
export function count(n) {
  if (n == null) return '–';
  return Number(n).toLocaleString('en-US');
}

// time writes an RFC 3339 time as UTC, to the second.
export function time(s) {
  if (!s) return '–';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

// duration writes seconds as 1h 02m, 3m 05s or 12s.
export function duration(sec) {
  if (sec == null || !Number.isFinite(sec) || sec < 0) return '–';
  sec = Math.round(sec);
  const hh = Math.floor(sec / 3600);
  const mm = Math.floor((sec % 3600) / 60);
  const ss = sec % 60;
  if (hh > 0) return `${hh}h ${String(mm).padStart(2, '0')}m`;
  if (mm > 0) return `${mm}m ${String(ss).padStart(2, '0')}s`;
  return `${ss}s`;
}

// table makes a table of rows under a header; rows are arrays of cells.
export function table(headers, rows, props) {
  return h('table', props,
    h('thead', null, h('tr', null, headers.map((c) => h('th', null, c)))),
    h('tbody', null, rows.length === 0
      ? h('tr', null, h('td', { colspan: headers.length, class: 'empty' }, 'Nothing here.'))
      : rows.map((r) => (r instanceof Node ? r : h('tr', null, r.map((c) => h('td', null, c)))))));
}

// errorBox shows an error as a message a person can act on.
export function errorBox(err) {
  const text = err && err.message ? err.message : String(err);
  const code = err && err.code ? ` (${err.code})` : '';
  return h('div', { class: 'error', role: 'alert' }, text + code);
}

// notice shows a short success or information message.
export function notice(text) {
  return h('div', { class: 'notice', role: 'status' }, text);
}

// confirmButton is a button that asks for a second click before it acts,
// instead of a browser dialog.
export function confirmButton(label, action, props) {
  let armed = null;
  const btn = h('button', { type: 'button', class: 'danger', ...props }, label);
  btn.addEventListener('click', async () => {
    if (!armed) {
      btn.textContent = `Click again to ${label.toLowerCase()}`;
      armed = setTimeout(() => { armed = null; btn.textContent = label; }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    btn.disabled = true;
    btn.textContent = label;
    try {
      await action();
    } finally {
      btn.disabled = false;
    }
  });
  return btn;
}

// field is a labelled form control.
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), control,
    hint ? h('span', { class: 'hint' }, hint) : null);
}

// select makes a <select> of [value, text] options.
export function select(props, options, current) {
  return h('select', props, options.map(([v, t]) => h('option', { value: v, selected: v === current }, t)));
}
