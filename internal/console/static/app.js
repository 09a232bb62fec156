// The console's shell: a hash router (#/buckets, #/jobs/17, ...), the
// header with navigation and the signed-in user, and the page in between.
// Pages are modules whose render(ctx) returns an element; a page that
// polls registers its stop with ctx.onLeave.

import { h, replace, errorBox } from './dom.js';
import * as api from './api.js';
import * as login from './pages/login.js';
import * as buckets from './pages/buckets.js';
import * as bucket from './pages/bucket.js';
import * as jobs from './pages/jobs.js';
import * as jobNew from './pages/jobnew.js';
import * as job from './pages/job.js';
import * as users from './pages/users.js';
import * as credentials from './pages/credentials.js';
import * as targets from './pages/targets.js';

const routes = [
  { path: /^\/login$/, page: login, open: true },
  { path: /^\/buckets$/, page: buckets, nav: 'buckets' },
  { path: /^\/buckets\/([^/]+)$/, page: bucket, nav: 'buckets' },
  { path: /^\/jobs$/, page: jobs, nav: 'jobs' },
  { path: /^\/jobs\/new$/, page: jobNew, nav: 'jobs' },
  { path: /^\/jobs\/(\d+)$/, page: job, nav: 'jobs' },
  { path: /^\/users$/, page: users, nav: 'users', admin: true },
  { path: /^\/credentials$/, page: credentials, nav: 'credentials' },
  { path: /^\/targets$/, page: targets, nav: 'targets' },
];

const root = document.getElementById('app');
let leaving = [];
let loginMessage = '';
let current = 0; // counts renders, so a slow page that lost the race draws nothing

// link builds a hash for a path and query: link('/jobs', {bucket: 'b'}).
export function link(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v != null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function navigate(path, query) {
  const target = link(path, query);
  if (location.hash === target) render();
  else location.hash = target;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/buckets';
  const [path, qs] = raw.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(qs || '')) };
}

function header(nav) {
  const u = api.user();
  const item = (name, label, hash) => h('a', { href: hash, class: name === nav ? 'active' : null, id: `nav-${name}` }, label);
  return h('header', { class: 'top' },
    h('a', { class: 'brand', href: '#/buckets' }, 'Quarry'),
    h('nav', null,
      item('buckets', 'Buckets', '#/buckets'),
      item('jobs', 'Jobs', '#/jobs'),
      item('credentials', 'S3 credentials', '#/credentials'),
      item('targets', 'Targets', '#/targets'),
      api.isAdmin() ? item('users', 'Users', '#/users') : null),
    h('div', { class: 'who' },
      h('span', { id: 'whoami' }, u.username), ' ',
      h('span', { class: `role role-${u.role.toLowerCase()}` }, u.role), ' ',
      h('button', {
        type: 'button', id: 'logout', class: 'link',
        onclick: async () => {
          await api.logout();
          loginMessage = 'You have signed out.';
          navigate('/login');
        },
      }, 'Sign out')));
}

async function render() {
  const ticket = ++current;
  for (const fn of leaving) fn();
  leaving = [];
  const { path, query } = parseHash();
  let route = null;
  let params = [];
  for (const r of routes) {
    const m = path.match(r.path);
    if (m) {
      route = r;
      params = m.slice(1).map(decodeURIComponent);
      break;
    }
  }
  if (!route) {
    navigate('/buckets');
    return;
  }
  if (!route.open && !api.user()) {
    navigate('/login', path === '/login' ? {} : { next: location.hash.slice(1) });
    return;
  }
  const main = h('main', { id: 'page' }, h('p', { class: 'loading' }, 'Loading…'));
  replace(root, route.open ? null : header(route.nav), main);
  if (route.admin && !api.isAdmin()) {
    replace(main, errorBox(new Error('Only an administrator may see this page.')));
    main.dataset.ready = location.hash;
    return;
  }
  const ctx = {
    params,
    query,
    navigate,
    link,
    message: loginMessage,
    onLeave: (fn) => leaving.push(fn),
    // live is false once the user went elsewhere: a poll stops drawing.
    live: () => ticket === current,
  };
  loginMessage = '';
  try {
    const el = await route.page.render(ctx);
    if (ticket === current) replace(main, el);
  } catch (err) {
    if (ticket === current) replace(main, errorBox(err));
  }
  // Says which hash the page shows, once drawn (tests and scripts wait on it).
  if (ticket === current) main.dataset.ready = location.hash;
  document.title = `Quarry · ${main.querySelector('h1') ? main.querySelector('h1').textContent : 'console'}`;
}

api.onSessionEnd((message) => {
  loginMessage = message;
  navigate('/login');
});
window.addEventListener('hashchange', render);
render();
