// The dashboard: every app's state, kept current by the daemon's event stream
// (never by polling), the actions a token's scope allows, each behind a
// confirmation that says what will happen, and operation logs that follow
// the running operation line by line.

import { ApiError, appPath, del, get, post, whenUnauthorized } from './api.js';
import { COLOURS, duration, h, isSplit, operationText, other, parseRouting, refreshTimes, releaseText,
  routingText, shortSha, swatch, title, when } from './dom.js';

const $ = (id) => document.getElementById(id);

const state = {
  session: null, // {name, scope, expires_at}
  apps: new Map(), // name -> app summary as GET /api/v1/apps gives it
  order: [], // app names in file order
  latest: new Map(), // name -> the app's newest operation
  search: '',
  sort: 'attention',
  view: null, // the mounted view: {kind, render(), onEvent(ev)}
};

const canAct = () => state.session && (state.session.scope === 'deploy' || state.session.scope === 'admin');

// ---- Sign-in -------------------------------------------------------------

async function boot() {
  whenUnauthorized(() => signedOut('Your session has ended. Sign in again.'));
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', signOut);
  $('confirm-cancel').addEventListener('click', () => $('confirm').close());
  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && !e.target.closest('input, textarea, select, dialog')) {
      const search = document.querySelector('#search');
      if (search) {
        e.preventDefault();
        search.focus();
      }
    }
  });
  setInterval(() => refreshTimes(), 15000);
  try {
    state.session = (await get('/api/v1/session')).session;
  } catch (e) {
    return signedOut(e.message);
  }
  if (!state.session) return signedOut('');
  start();
}

async function signIn(e) {
  e.preventDefault();
  const field = $('token');
  $('signin-error').textContent = '';
  try {
    const res = await fetch('/api/v1/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ token: field.value.trim() }),
    });
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const msg = data && data.error ? data.error.message : 'The daemon answered ' + res.status + '.';
      $('signin-error').textContent = msg;
      field.select();
      return;
    }
    field.value = '';
    state.session = data.session;
    start();
  } catch (err) {
    $('signin-error').textContent = 'The daemon cannot be reached (' + err.message + ').';
  }
}

async function signOut() {
  try {
    await del('/api/v1/session');
  } catch {
    // Signed out already, or unreachable: the page forgets the session either way.
  }
  signedOut('You are signed out.');
}

function signedOut(message) {
  state.session = null;
  stopEvents();
  unmount();
  $('view').hidden = true;
  $('nav').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  $('conn').textContent = '';
  $('signin').hidden = false;
  $('signin-error').textContent = message || '';
  $('token').focus();
}

function start() {
  $('signin').hidden = true;
  $('view').hidden = false;
  $('nav').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = state.session.name + ' (' + state.session.scope + ')';
  connectEvents();
  route();
}

// ---- The event stream ----------------------------------------------------

let events = null;
let lastEventId = null;
let buffered = null; // events that arrive while the snapshot loads
let retryTimer = null;

function connectEvents() {
  stopEvents();
  const url = '/api/v1/events/stream' + (lastEventId ? '?after=' + encodeURIComponent(lastEventId) : '');
  const source = new EventSource(url);
  events = source;
  setConn('connecting', 'Connecting…');
  source.addEventListener('open', () => {
    setConn('live', 'Live');
    loadSnapshot();
  });
  for (const type of ['operation.started', 'operation.updated', 'operation.finished', 'app.changed', 'reset']) {
    source.addEventListener(type, (m) => {
      if (m.lastEventId) lastEventId = m.lastEventId;
      let ev;
      try {
        ev = JSON.parse(m.data);
      } catch {
        return;
      }
      if (buffered) buffered.push(ev);
      else applyEvent(ev);
    });
  }
  source.addEventListener('error', () => {
    if (source !== events) return;
    if (source.readyState === EventSource.CLOSED) {
      // Refused (not a dropped connection, which the browser retries itself):
      // find out whether the session is still good before trying again.
      setConn('down', 'Disconnected');
      stillSignedIn().then((yes) => {
        if (yes) retryTimer = setTimeout(connectEvents, 2000);
      });
    } else {
      setConn('down', 'Reconnecting…');
    }
  });
}

// After a stream was refused: true when it is worth trying again (signed in,
// or the daemon is unreachable for now); signs out when the session ended.
async function stillSignedIn() {
  try {
    const who = await get('/api/v1/session');
    if (who.session) return true;
    signedOut('Your session has ended. Sign in again.');
    return false;
  } catch (e) {
    return e.status !== 401;
  }
}

function stopEvents() {
  clearTimeout(retryTimer);
  if (events) events.close();
  events = null;
}

function setConn(kind, text) {
  const el = $('conn');
  el.className = 'conn ' + kind;
  el.textContent = text;
}

// Every (re)connection reads the state afresh; events that arrive meanwhile
// are applied after it, in order, so nothing between the two is lost.
async function loadSnapshot() {
  buffered = [];
  try {
    const data = await get('/api/v1/apps');
    state.apps = new Map(data.apps.map((a) => [a.name, a]));
    state.order = data.apps.map((a) => a.name);
  } catch (e) {
    buffered = null;
    if (e.status !== 401) showProblem(e.message);
    return;
  }
  const pending = buffered;
  buffered = null;
  for (const ev of pending) applyEvent(ev, false);
  renderView();
  loadLatestOperations();
}

// Each app's newest operation, a few at a time, after the first render.
async function loadLatestOperations() {
  const names = [...state.order];
  const worker = async () => {
    for (let name = names.shift(); name !== undefined; name = names.shift()) {
      try {
        const data = await get(appPath(name) + '/deployments?limit=1');
        const op = data.operations[0];
        const known = state.latest.get(name);
        if (op && (!known || known.id <= op.id)) state.latest.set(name, op);
        if (op) updateCard(name);
      } catch {
        // The card shows what it has; a later event brings the rest.
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

function applyEvent(ev, render = true) {
  if (ev.type === 'reset') {
    loadSnapshot();
    return;
  }
  if (ev.type === 'app.changed') {
    const app = state.apps.get(ev.app);
    if (!app) return;
    for (const change of ev.changes || []) setField(app, change.field, change.new);
    if (ev.time) document.documentElement.dataset.eventLagMs = String(Date.now() - Date.parse(ev.time));
  } else if (ev.operation) {
    const known = state.latest.get(ev.app);
    if (!known || known.id <= ev.operation.id) state.latest.set(ev.app, ev.operation);
  }
  if (!render) return;
  updateCard(ev.app);
  if (state.view && state.view.onEvent) state.view.onEvent(ev);
}

function setField(app, field, value) {
  if (field === 'operation_lock' || field === 'manual_lock') {
    app.locks = app.locks || {};
    app.locks[field === 'manual_lock' ? 'manual' : 'operation'] = value;
    return;
  }
  const path = field.split('.');
  let target = app;
  for (const key of path.slice(0, -1)) {
    if (!target[key] || typeof target[key] !== 'object') target[key] = {};
    target = target[key];
  }
  target[path[path.length - 1]] = value;
  if (field === 'drifted' || field === 'drift_reason') {
    app.reality = app.reality || {};
    app.reality[field] = value;
  }
}

// ---- Routing between views -----------------------------------------------

function route() {
  if (!state.session) return;
  const hash = decodeURIComponent(location.hash.replace(/^#/, '').split('?')[0]) || '/';
  unmount();
  let m;
  if ((m = hash.match(/^\/apps\/([^/]+)(?:\/ops\/(\d+))?$/))) state.view = appView(m[1], m[2] ? Number(m[2]) : null);
  else if (hash === '/audit') state.view = auditView();
  else state.view = overview();
  renderView();
}

function unmount() {
  if (state.view && state.view.unmount) state.view.unmount();
  state.view = null;
}

function renderView() {
  if (!state.view) return;
  const root = $('view');
  root.replaceChildren(state.view.render());
  if (state.view.mounted) state.view.mounted();
}

function showProblem(message) {
  const root = $('view');
  root.prepend(h('p', { class: 'error', role: 'alert' }, message));
}

// Replaces an app's card wherever it is shown, keeping keyboard focus on the
// same control.
function updateCard(name) {
  const app = state.apps.get(name);
  if (!app) return;
  for (const old of document.querySelectorAll('article.card')) {
    if (old.dataset.app !== name) continue;
    const focused = old.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    const fresh = card(app, old.classList.contains('full'));
    old.replaceWith(fresh);
    if (focused) {
      const again = fresh.querySelector('[data-key="' + focused + '"]');
      if (again) again.focus();
    }
  }
  if (state.view && state.view.kind === 'overview') state.view.resort();
}

// ---- The overview ------------------------------------------------------------

function needsAttention(app) {
  const op = state.latest.get(app.name);
  const failed = op && ['failed', 'interrupted', 'rolled_back'].includes(op.state);
  const unhealthy = COLOURS.some((c) => app[c] && app[c].health === 'failing');
  return !!(app.drifted || failed || unhealthy || (app.locks && app.locks.manual) || (app.reality && app.reality.error));
}

function lastDeploy(app) {
  return COLOURS.map((c) => (app[c] && app[c].deployed_at) || '').sort().pop();
}

function visibleApps() {
  const q = state.search.toLowerCase();
  const apps = state.order
    .map((n) => state.apps.get(n))
    .filter((a) => a && (!q || a.name.toLowerCase().includes(q) || (a.public_url || '').toLowerCase().includes(q)));
  if (state.sort === 'name') apps.sort((a, b) => a.name.localeCompare(b.name));
  else if (state.sort === 'deployed') apps.sort((a, b) => lastDeploy(b).localeCompare(lastDeploy(a)));
  else apps.sort((a, b) => Number(needsAttention(b)) - Number(needsAttention(a)) || a.name.localeCompare(b.name));
  return apps;
}

function overview() {
  let list = null;
  let count = null;
  const fill = () => {
    const apps = visibleApps();
    const cards = apps.map((a) => card(a, false));
    list.replaceChildren(...cards);
    const attention = apps.filter(needsAttention).length;
    count.textContent =
      apps.length + ' of ' + state.order.length + ' apps' + (attention ? ', ' + attention + ' need attention' : '');
  };
  return {
    kind: 'overview',
    render() {
      const search = h('input', {
        id: 'search', type: 'search', placeholder: 'Search apps', 'aria-label': 'Search apps (press / to focus)',
        value: state.search,
        on: { input: (e) => { state.search = e.target.value; fill(); } },
      });
      const sort = h('select', { id: 'sort', 'aria-label': 'Sort apps', on: { change: (e) => { state.sort = e.target.value; fill(); } } },
        h('option', { value: 'attention' }, 'Needs attention first'),
        h('option', { value: 'name' }, 'By name'),
        h('option', { value: 'deployed' }, 'By last deploy'));
      sort.value = state.sort;
      count = h('p', { class: 'count', role: 'status' });
      list = h('div', { class: 'cards', id: 'apps' });
      fill();
      return h('div', {}, h('h1', { class: 'visually-hidden' }, 'Apps'), h('div', { class: 'toolbar' }, search, sort), count, list);
    },
    resort() {
      // Keep the order stable while a control in the list has focus.
      if (list && !list.contains(document.activeElement)) fill();
    },
  };
}

// ---- A card --------------------------------------------------------------

function colourBlock(app, colour, weights) {
  const c = app[colour] || {};
  const share = weights ? weights[colour] : 0;
  const tag = !weights ? 'unknown' : share === 100 ? 'live' : share === 0 ? 'idle' : share + ' %';
  return h('section', { class: 'colour ' + colour + (share > 0 ? ' serving' : '') },
    h('h3', {}, swatch(colour), title(colour), ' ', h('span', { class: 'tag' }, tag)),
    h('dl', {},
      h('dt', {}, 'Release'), h('dd', {}, c.ref ? [c.ref, c.sha ? h('code', {}, ' ' + shortSha(c.sha)) : null] : 'none yet'),
      h('dt', {}, 'Deployed'), h('dd', {}, c.deployed_at ? [when(c.deployed_at), c.deployed_by ? ' by ' + c.deployed_by : ''] : '—'),
      h('dt', {}, 'Health'), h('dd', { class: 'health ' + (c.health || 'none') }, c.health === 'ok' ? 'ok' : c.health === 'failing' ? 'failing' : 'not checked'),
      h('dt', {}, 'Verified'), h('dd', {}, c.verified ? 'yes' : 'no')));
}

function alerts(app) {
  const items = [];
  if (app.drifted) items.push(h('li', { class: 'alert drift' }, h('strong', {}, 'Drift: '), app.drift_reason || 'reality differs from the record'));
  if (app.recovering) items.push(h('li', { class: 'alert' }, 'Reconciling with the load balancer after a restart…'));
  const lock = app.locks && app.locks.manual;
  if (lock) items.push(h('li', { class: 'alert lock' }, h('strong', {}, 'Locked'), ' by ' + lock.holder + (lock.reason ? ': ' + lock.reason : ''), ' (', when(lock.acquired_at), ')'));
  if (app.reality && app.reality.error) items.push(h('li', { class: 'alert drift' }, h('strong', {}, 'Cannot see reality: '), app.reality.error));
  for (const c of COLOURS) if (app[c] && app[c].health === 'failing') items.push(h('li', { class: 'alert' }, title(c) + ' is failing its health checks.'));
  const op = state.latest.get(app.name);
  if (op && ['failed', 'interrupted', 'rolled_back'].includes(op.state))
    items.push(h('li', { class: 'alert' }, h('a', { href: opHref(op) }, operationText(op) + ' #' + op.id), ' ' + op.state.replace('_', ' ') + (op.error ? ': ' + op.error : '')));
  return items.length ? h('ul', { class: 'alerts' }, items) : null;
}

const opHref = (op) => '#/apps/' + encodeURIComponent(op.app) + '/ops/' + op.id;

function liveText(app) {
  const w = parseRouting(app.routing);
  if (!w) return 'Live colour not established';
  if (isSplit(app.routing)) return 'Canary: blue ' + w.blue + ' %, green ' + w.green + ' %';
  return 'Live: ' + app.live;
}

function card(app, full) {
  const weights = parseRouting(app.routing);
  const op = state.latest.get(app.name);
  const running = op && (op.state === 'running' || op.state === 'ready') ? op : null;
  const reality = app.reality || {};
  const seen = reality.seen_at
    ? ['Seen ', when(reality.seen_at), ': the load balancer routes to ' + routingText(reality.routing) + (reality.identity ? '; ' + app.public_url + ' answers as ' + reality.identity : '') + '.']
    : ['Reality not looked at since the daemon started.'];
  const headingId = 'app-' + app.name;
  return h('article', { class: 'card' + (full ? ' full' : '') + (needsAttention(app) ? ' attention' : ''), data: { app: app.name }, 'aria-labelledby': headingId },
    h('header', {},
      h(full ? 'h1' : 'h2', { id: headingId }, full ? app.name : h('a', { href: '#/apps/' + encodeURIComponent(app.name) }, app.name)),
      h('span', { class: 'live ' + (isSplit(app.routing) ? 'split' : app.live || 'unknown') }, app.live && !isSplit(app.routing) ? swatch(app.live) : null, liveText(app))),
    h('p', { class: 'url' }, app.public_url, ' · ', app.backend, ' · ', app.promote_mode === 'auto' ? 'auto promote' : 'manual promote'),
    alerts(app),
    h('div', { class: 'colours' }, COLOURS.map((c) => colourBlock(app, c, weights))),
    h('p', { class: 'reality' }, seen),
    eachLoadBalancer(reality),
    running ? h('p', { class: 'running' }, h('a', { href: opHref(running) }, operationText(running) + ' #' + running.id), ' ' + running.state + ' (' + running.actor + ' via ' + running.channel + ')') : null,
    canAct() ? actions(app, running, full) : null);
}

// With several load balancers, what each one routes to.
function eachLoadBalancer(reality) {
  const lbs = reality.load_balancers || [];
  if (lbs.length < 2) return null;
  return h('ul', { class: 'lbs', 'aria-label': 'Load balancers' },
    lbs.map((lb) => h('li', { class: lb.error ? 'alert' : '' }, lb.name + ': ' + (lb.error ? lb.error : 'routes to ' + routingText(lb.routing)))));
}

function button(key, label, onClick, extra = {}) {
  return h('button', { type: 'button', data: { key }, on: { click: onClick }, ...extra }, label);
}

function actions(app, running, full) {
  const name = app.name;
  const idle = other(app.live);
  const lock = app.locks && app.locks.manual;
  const list = [
    button('deploy', 'Deploy', () => confirmDeploy(app)),
    button('switch', 'Switch', () => confirmSwitch(app)),
  ];
  if (app.weights) list.push(button('canary', 'Canary', () => confirmCanary(app), { disabled: !idle }));
  list.push(button('rollback', 'Rollback', () => confirmRollback(app), app.previous_live ? {} : { disabled: true, title: 'Nothing to roll back to' }));
  if (full) list.push(button('task', 'Run task', () => confirmTask(app)));
  list.push(lock ? button('unlock', 'Unlock', () => confirmUnlock(app)) : button('lock', 'Lock', () => confirmLock(app)));
  if (running && (running.kind === 'deploy' || running.kind === 'task')) list.push(button('cancel', 'Cancel ' + running.kind, () => confirmCancel(running)));
  return h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions for ' + name }, list);
}

// ---- Confirmations -------------------------------------------------------

// Opens the dialog; `act` runs on confirmation with the fields' values and
// returns the operation (if any) to follow. The dialog stays open with the
// API's message when the daemon refuses.
function confirmAction({ heading, text, okLabel, fields = [], act }) {
  const dialog = $('confirm');
  $('confirm-title').textContent = heading;
  $('confirm-text').replaceChildren(...[].concat(text));
  $('confirm-fields').replaceChildren(...fields);
  $('confirm-error').textContent = '';
  const ok = $('confirm-ok');
  ok.textContent = okLabel;
  ok.disabled = false;
  const form = $('confirm-form');
  form.onsubmit = async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    ok.disabled = true;
    $('confirm-error').textContent = '';
    try {
      const result = await act();
      dialog.close();
      if (result && result.operation) location.hash = opHref(result.operation);
    } catch (err) {
      $('confirm-error').textContent = err instanceof ApiError ? err.message : String(err);
      ok.disabled = false;
    }
  };
  dialog.showModal();
  const first = dialog.querySelector('#confirm-fields input, #confirm-fields select');
  (first || ok).focus();
}

// A confirmation's text that says again what will happen whenever `field` changes.
function followingText(field, eventName, compute) {
  const text = h('span', {});
  const say = () => {
    text.textContent = compute();
  };
  field.addEventListener(eventName, say);
  say();
  return text;
}

const side = (app, colour) => colour + ' (' + releaseText(app[colour]) + ')';

function confirmDeploy(app) {
  const idle = other(app.live);
  const ref = h('input', { id: 'f-ref', name: 'ref', required: true, value: app.default_ref || 'main', spellcheck: 'false', autocomplete: 'off' });
  const text = idle
    ? 'Deploy to ' + idle + ', the idle colour (now ' + releaseText(app[idle]) + '). ' +
      (app.promote_mode === 'auto'
        ? 'Once its checks pass, live traffic switches from ' + side(app, app.live) + ' to ' + idle + '.'
        : 'Live traffic stays on ' + side(app, app.live) + ' until you switch.')
    : 'The live colour is not established yet; the daemon reads the load balancer first and refuses if it cannot.';
  confirmAction({
    heading: 'Deploy ' + app.name,
    text,
    okLabel: 'Deploy',
    fields: [h('label', { for: 'f-ref' }, 'Branch, tag or commit'), ref],
    act: () => post(appPath(app.name) + '/deployments', { ref: ref.value.trim() }),
  });
}

function confirmSwitch(app) {
  const w = parseRouting(app.routing);
  let to = other(app.live);
  let text;
  if (w && isSplit(app.routing)) {
    to = w.green <= w.blue ? 'green' : 'blue';
    if (w.green === w.blue) to = 'green';
    text = 'Switch ' + app.name + ': the canary completes and all live traffic goes to ' + side(app, to) + '; ' + side(app, other(to)) + ' stops serving.';
  } else if (to) {
    text = 'Switch ' + app.name + ': live traffic moves from ' + side(app, app.live) + ' to ' + side(app, to) + '.';
  } else {
    text = 'Switch ' + app.name + ': the live colour is not established; the daemon reads the load balancer first.';
  }
  confirmAction({
    heading: 'Switch ' + app.name,
    text,
    okLabel: to ? 'Switch to ' + to : 'Switch',
    act: () => post(appPath(app.name) + '/switch', to ? { to } : {}),
  });
}

function confirmCanary(app) {
  const idle = other(app.live);
  const share = h('input', { id: 'f-share', type: 'number', min: 1, max: 99, step: 1, required: true, value: 10 });
  const text = followingText(share, 'input', () =>
    'Canary ' + app.name + ': ' + (share.value || '?') + ' % of live traffic goes to ' + side(app, idle) + ', the rest stays on ' + side(app, app.live) + '.');
  confirmAction({
    heading: 'Canary ' + app.name,
    text,
    okLabel: 'Start canary',
    fields: [h('label', { for: 'f-share' }, 'Share for ' + idle + ' (%)'), share],
    act: () => post(appPath(app.name) + '/switch', { weights: { [idle]: Number(share.value) } }),
  });
}

function confirmRollback(app) {
  const to = app.previous_live;
  confirmAction({
    heading: 'Roll back ' + app.name,
    text: 'Roll back ' + app.name + ': live traffic moves from ' + (isSplit(app.routing) ? 'the canary (' + routingText(app.routing) + ')' : side(app, app.live)) + ' back to ' + side(app, to) + ', which served before the last switch.',
    okLabel: 'Roll back to ' + to,
    act: () => post(appPath(app.name) + '/rollback'),
  });
}

async function confirmTask(app) {
  let detail;
  try {
    detail = await get(appPath(app.name));
  } catch (e) {
    return showProblem(e.message);
  }
  const names = Object.keys(detail.tasks || {});
  if (!names.length) {
    confirmAction({ heading: 'Run a task', text: app.name + ' has no tasks: add them under [app.tasks] in the configuration.', okLabel: 'Close', act: async () => null });
    return;
  }
  const task = h('select', { id: 'f-task' }, names.map((n) => h('option', { value: n }, n)));
  const colour = h('select', { id: 'f-colour' });
  const text = followingText(task, 'change', () => {
    const t = detail.tasks[task.value];
    colour.replaceChildren(
      h('option', { value: '' }, 'as configured (' + t.on + ')'),
      ...COLOURS.map((c) => h('option', { value: c }, c + (c === app.live ? ' (live)' : ' (idle)'))));
    return 'Run ' + task.value + ' on ' + (t.hosts === 'all' ? 'every host' : 'one host') + ' of the chosen colour: ' + t.command;
  });
  confirmAction({
    heading: 'Run a task on ' + app.name,
    text,
    okLabel: 'Run',
    fields: [h('label', { for: 'f-task' }, 'Task'), task, h('label', { for: 'f-colour' }, 'Colour'), colour],
    act: () => post(appPath(app.name) + '/tasks/' + encodeURIComponent(task.value), colour.value ? { colour: colour.value } : {}),
  });
}

function confirmLock(app) {
  const reason = h('input', { id: 'f-reason', required: true, maxlength: 500, autocomplete: 'off', placeholder: 'release freeze' });
  confirmAction({
    heading: 'Lock ' + app.name,
    text: 'Lock ' + app.name + ': deploys, switches and tasks are refused until someone unlocks it. Rollback stays allowed.',
    okLabel: 'Lock',
    fields: [h('label', { for: 'f-reason' }, 'Reason'), reason],
    act: () => post(appPath(app.name) + '/lock', { reason: reason.value.trim() }),
  });
}

function confirmUnlock(app) {
  const lock = app.locks.manual;
  confirmAction({
    heading: 'Unlock ' + app.name,
    text: 'Unlock ' + app.name + ' (locked by ' + lock.holder + (lock.reason ? ': ' + lock.reason : '') + '): deploys, switches and tasks are allowed again.',
    okLabel: 'Unlock',
    act: () => del(appPath(app.name) + '/lock'),
  });
}

function confirmCancel(op) {
  confirmAction({
    heading: 'Cancel ' + op.kind + ' #' + op.id,
    text: 'Cancel ' + operationText(op) + ' (#' + op.id + ') of ' + op.app + (op.state === 'ready' ? ': it will not be switched to; live traffic does not move.' : ': its commands are stopped; live traffic does not move.'),
    okLabel: 'Cancel ' + op.kind,
    act: async () => {
      await post('/api/v1/deployments/' + op.id + '/cancel');
      return null;
    },
  });
}

// ---- One app: its card, an operation's log, its history -------------------

function appView(name, opId) {
  let log = null;
  let history = null;
  return {
    kind: 'app',
    render() {
      const app = state.apps.get(name);
      if (!app) return h('p', { class: 'error', role: 'alert' }, state.apps.size ? 'There is no app called ' + name + '.' : 'Loading…');
      history = historyList(name, opId);
      const parts = [h('p', {}, h('a', { href: '#/' }, '← All apps')), card(app, true)];
      if (opId) {
        log = operationLog(opId);
        parts.push(log.element);
      }
      parts.push(history.element);
      return h('div', { class: 'app-page' }, parts);
    },
    onEvent(ev) {
      if (ev.app !== name || !ev.operation) return;
      history.upsert(ev.operation);
      if (log) log.operationChanged(ev.operation);
    },
    unmount() {
      if (log) log.stop();
    },
  };
}

function opSummary(op) {
  const took = duration(op.started_at || op.created_at, op.finished_at);
  return [
    h('span', { class: 'state ' + op.state }, op.state.replace('_', ' ')),
    ' ' + op.actor + ' via ' + op.channel + ', ', when(op.started_at || op.created_at),
    took ? ', took ' + took : '',
  ];
}

function operationLog(id) {
  const header = h('div', { class: 'op-head' }, 'Loading operation #' + id + '…');
  const lines = h('ol', { class: 'log', 'aria-live': 'polite', 'aria-label': 'Log of operation ' + id });
  const element = h('section', { class: 'operation', data: { op: id }, 'aria-labelledby': 'op-title' }, h('h2', { id: 'op-title' }, 'Operation #' + id), header, lines);
  const seen = new Set();
  let op = null;
  let source = null;
  let stopped = false;

  const showHeader = () => {
    header.replaceChildren(h('div', {}, h('p', {}, h('strong', {}, operationText(op)), ' · ', opSummary(op)), op.error ? h('p', { class: 'error' }, op.error) : null));
  };
  const addLine = (line) => {
    if (seen.has(line.id)) return;
    seen.add(line.id);
    const stick = lines.scrollHeight - lines.scrollTop - lines.clientHeight < 40;
    lines.append(h('li', { class: 'line ' + line.stream, data: { id: line.id } },
      h('time', { datetime: line.at, title: line.at }, line.at.slice(11, 23)),
      line.host ? h('span', { class: 'host' }, line.host) : null,
      line.stream === 'stderr' ? h('span', { class: 'stream' }, 'stderr') : null,
      h('span', { class: 'text' }, line.text)));
    if (stick) lines.scrollTop = lines.scrollHeight;
  };
  const follow = () => {
    if (stopped) return;
    const after = seen.size ? Math.max(...seen) : 0;
    source = new EventSource('/api/v1/deployments/' + id + '/log?follow=1&after=' + after);
    source.addEventListener('line', (m) => addLine(JSON.parse(m.data)));
    source.addEventListener('end', (m) => {
      source.close();
      op = JSON.parse(m.data);
      showHeader();
      element.dataset.ended = op.state;
    });
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED || stopped || element.dataset.ended) return;
      // Refused, or the daemon went away for good: try again shortly from the last line.
      stillSignedIn().then((yes) => { if (yes) setTimeout(follow, 2000); });
    });
  };
  const readAll = async () => {
    for (;;) {
      const after = seen.size ? Math.max(...seen) : 0;
      const data = await get('/api/v1/deployments/' + id + '/log?limit=10000&after=' + after);
      data.lines.forEach(addLine);
      if (data.lines.length < 10000) break;
    }
    element.dataset.ended = op.state;
  };
  get('/api/v1/deployments/' + id).then(
    (data) => {
      op = data.operation;
      showHeader();
      if (op.state === 'running') follow();
      else readAll().catch((e) => header.append(h('p', { class: 'error' }, e.message)));
    },
    (e) => header.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message)),
  );
  return {
    element,
    operationChanged(changed) {
      if (changed.id !== id) return;
      op = changed;
      showHeader();
    },
    stop() {
      stopped = true;
      if (source) source.close();
    },
  };
}

function historyRow(op, selected) {
  return h('li', { class: 'op' + (selected ? ' selected' : ''), data: { id: op.id } },
    h('a', { href: opHref(op), 'aria-current': selected ? 'true' : false }, '#' + op.id + ' ' + operationText(op)),
    h('span', { class: 'meta' }, opSummary(op)),
    op.error ? h('span', { class: 'why' }, op.error) : null);
}

function historyList(name, selected) {
  const list = h('ol', { class: 'history' });
  const more = h('button', { type: 'button', hidden: true }, 'Older operations');
  const element = h('section', { class: 'history-section', 'aria-labelledby': 'hist-title' },
    h('h2', { id: 'hist-title' }, 'History'),
    h('p', {}, h('a', { href: '#/audit?app=' + encodeURIComponent(name) }, 'Audit log of ' + name)),
    list, more);
  let oldest = null;
  const load = async () => {
    const data = await get(appPath(name) + '/deployments?limit=50' + (oldest ? '&before=' + oldest : ''));
    for (const op of data.operations) {
      // An event may have brought this operation already, while the page loaded.
      if (!list.querySelector('li[data-id="' + op.id + '"]')) list.append(historyRow(op, op.id === selected));
    }
    if (data.operations.length) oldest = data.operations[data.operations.length - 1].id;
    more.hidden = data.operations.length < 50;
  };
  more.addEventListener('click', () => load().catch((e) => showProblem(e.message)));
  load().catch((e) => list.replaceChildren(h('li', { class: 'error' }, e.message)));
  return {
    element,
    upsert(op) {
      const row = historyRow(op, op.id === selected);
      const old = list.querySelector('li[data-id="' + op.id + '"]');
      if (old) old.replaceWith(row);
      else list.prepend(row);
    },
  };
}

// ---- The audit log -------------------------------------------------------

function auditView() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const app = params.get('app');
  return {
    kind: 'audit',
    render() {
      const list = h('ol', { class: 'audit' });
      const more = h('button', { type: 'button', hidden: true }, 'Older events');
      let oldest = null;
      const load = async () => {
        const q = '?limit=100' + (app ? '&app=' + encodeURIComponent(app) : '') + (oldest ? '&before=' + oldest : '');
        const data = await get('/api/v1/events' + q);
        for (const e of data.events) {
          list.append(h('li', {},
            h('time', { datetime: e.at, title: e.at }, e.at.replace('T', ' ').slice(0, 19)),
            h('span', { class: 'action' }, e.action),
            e.app ? h('a', { href: e.operation_id ? '#/apps/' + encodeURIComponent(e.app) + '/ops/' + e.operation_id : '#/apps/' + encodeURIComponent(e.app) }, e.app + (e.operation_id ? ' #' + e.operation_id : '')) : null,
            h('span', { class: 'meta' }, e.actor + ' via ' + e.channel),
            e.detail ? h('span', { class: 'why' }, e.detail) : null));
        }
        if (data.events.length) oldest = data.events[data.events.length - 1].id;
        more.hidden = data.events.length < 100;
      };
      more.addEventListener('click', () => load().catch((e) => showProblem(e.message)));
      load().catch((e) => list.replaceChildren(h('li', { class: 'error' }, e.message)));
      return h('div', {}, h('h1', {}, 'Audit log' + (app ? ' of ' + app : '')), list, more);
    },
  };
}

boot();

