// The dashboard in real headless Chromium (Debian's), driven by playwright-core,
// against the real bluegreend that tests/integration/dashboard_test.cpp starts
// with a real sshd, demo apps and nginx. One scenario per run:
//
//   node dashboard.mjs SCENARIO
//
// Environment: BG_URL (the daemon), BG_TOKEN (scope admin), BG_READ_TOKEN
// (scope read), LB_URL (nginx in front of the app), SHOTS (where screenshots
// go), STEPS (a folder for handshakes with the test). When the scenario needs
// the test to act (open a gate, change nginx by hand), it prints
// "@@ ask NAME" and waits for STEPS/NAME.done. Exits 0 when every check
// passed; otherwise prints what failed and exits 1.
import assert from 'node:assert/strict';
import { existsSync, watch } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error('missing environment variable ' + name);
  return v;
};
const BG = env('BG_URL');
const LB = process.env.LB_URL || '';
const SHOTS = process.env.SHOTS || '.';
const STEPS = process.env.STEPS || '.';
const TIMEOUT = 30000;

function figure(name, value) {
  console.log('figure: ' + name + ' = ' + value);
}

// Asks the test to do something and waits (with a deadline) until it has:
// until STEPS/NAME.done appears, told by a watch on the folder that starts
// before the question is asked.
function ask(name) {
  const done = join(STEPS, name + '.done');
  return new Promise((resolve, reject) => {
    const finish = (error) => {
      clearTimeout(deadline);
      watcher.close();
      if (error) reject(error);
      else resolve();
    };
    const watcher = watch(STEPS, () => {
      if (existsSync(done)) finish();
    });
    const deadline = setTimeout(() => finish(new Error('the test did not answer "' + name + '" within 60 s')), 60000);
    console.log('@@ ask ' + name);
    if (existsSync(done)) finish();
  });
}

// Every page of ours is watched: console errors, uncaught exceptions and
// CSP violations fail the scenario unless a step says it expects them.
function watchPage(page) {
  const problems = [];
  let expected = [];
  let allowed = null;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location() && m.location().url ? ' (' + m.location().url + ')' : '';
    const text = m.text() + where;
    const i = expected.findIndex((re) => re.test(text));
    if (i >= 0) expected.splice(i, 1);
    else if (!(allowed && allowed.test(text))) problems.push('console error: ' + text);
  });
  page.on('pageerror', (e) => problems.push('uncaught: ' + e.message));
  return {
    problems,
    expect(re) {
      expected.push(re);
    },
    // Errors matching `re` are expected for a while (null: no longer).
    allow(re) {
      allowed = re;
    },
    async check() {
      const violations = await page.evaluate(() => window.__cspViolations || []);
      for (const v of violations) problems.push('CSP violation: ' + v);
      assert.deepEqual(problems, [], 'the page had problems');
    },
  };
}

async function newContext(browser, options = {}) {
  const context = await browser.newContext({ baseURL: BG, ...options });
  context.setDefaultTimeout(TIMEOUT);
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
  });
  return context;
}

async function signIn(page, token) {
  await page.goto('/');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('article.card').first().waitFor();
}

const cardOf = (page, app) => page.locator('article.card[data-app="' + app + '"]');

// Ten answers in a row through nginx come from `colour`.
async function nginxServes(colour) {
  const deadline = Date.now() + 20000;
  for (;;) {
    let all = true;
    for (let i = 0; i < 10 && all; ++i) {
      const r = await fetch(LB + '/hostname');
      all = (await r.text()).trim() === colour + '-production';
    }
    if (all) return;
    if (Date.now() > deadline) throw new Error('nginx does not serve ' + colour);
  }
}

// Waits until the page shows the operation an action opened (not the page
// at `before`, the address before the action), ended in `state`; returns its id.
async function operationEnds(page, before, state, timeout = TIMEOUT) {
  await page.waitForURL((url) => url.href !== before && /\/ops\/\d+$/.test(url.href), { timeout });
  const id = Number(page.url().match(/ops\/(\d+)$/)[1]);
  await page.locator('section.operation[data-op="' + id + '"][data-ended="' + state + '"]').waitFor({ timeout });
  return id;
}

async function confirmDialog(page, { contains, button }) {
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor();
  const text = await dialog.locator('#confirm-text').innerText();
  for (const c of contains) assert.ok(text.includes(c), 'the confirmation says "' + c + '": ' + text);
  const before = page.url();
  await dialog.getByRole('button', { name: button, exact: true }).click();
  return before;
}

async function apiWithBearer(method, path, body) {
  const r = await fetch(BG + path, {
    method,
    headers: { Authorization: 'Bearer ' + env('BG_TOKEN'), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}

const scenarios = {
  // Sign-in, a deploy from its button with the log streaming into ready, a
  // switch and a rollback seen on the card without a reload, sign-out.
  async buttons(browser) {
    const context = await newContext(browser);
    const page = await context.newPage();
    const w = watchPage(page);
    const first = await page.goto('/');
    const headers = first.headers();
    assert.match(headers['content-security-policy'], /default-src 'self'/);
    assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['referrer-policy'], 'no-referrer');

    // A bad token: the API's message, no cookie.
    await page.getByLabel('API token').waitFor();
    w.expect(/401/);
    await page.getByLabel('API token').fill('bg_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signin-error').filter({ hasText: /token/i }).waitFor();
    assert.equal((await context.cookies()).length, 0, 'a bad token sets no cookie');

    await page.getByLabel('API token').fill(env('BG_TOKEN'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const card = cardOf(page, 'demo');
    await card.waitFor();
    await card.locator('.live', { hasText: 'Live: blue' }).waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'bluegreen_session');
    assert.ok(session, 'signing in sets the session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'no page script can read the session');
    await page.evaluate(() => { window.__sameDocument = true; });

    // Deploy from the button; the log streams line by line into ready.
    await card.getByRole('button', { name: 'Deploy' }).click();
    await page.locator('#f-ref').waitFor();
    assert.equal(await page.locator('#f-ref').inputValue(), 'main');
    const beforeDeploy = await confirmDialog(page, { contains: ['green', 'idle', 'Live traffic stays on blue'], button: 'Deploy' });
    const operation = page.locator('section.operation');
    await operation.locator('.line', { hasText: 'holding on 127.0.0.3' }).waitFor();
    assert.equal(await operation.getAttribute('data-ended'), null, 'the deploy still runs');
    assert.match(await operation.locator('.op-head').innerText(), /running/);
    await page.screenshot({ path: join(SHOTS, 'dashboard-deploy-running.png'), fullPage: true });
    await ask('release-deploy');
    await operation.locator('.line', { hasText: 'released on 127.0.0.3' }).waitFor();
    const opId = await operationEnds(page, beforeDeploy, 'ready');
    const stored = await apiWithBearer('GET', '/api/v1/deployments/' + opId + '/log');
    const shown = await operation.locator('.line').evaluateAll((els) => els.map((e) => Number(e.dataset.id)));
    assert.deepEqual(shown, stored.body.lines.map((l) => l.id), 'every stored line shown once, in order');
    const stderrShown = await operation.locator('.line.stderr').count();
    assert.equal(stderrShown, stored.body.lines.filter((l) => l.stream === 'stderr').length);

    // Switch: the confirmation names both releases; the card changes in place.
    const appCard = cardOf(page, 'demo');
    const green = (await apiWithBearer('GET', '/api/v1/apps/demo')).body.green;
    await appCard.getByRole('button', { name: 'Switch' }).click();
    const beforeSwitch = await confirmDialog(page, {
      contains: ['live traffic moves from blue', 'to green (main, ' + green.sha.slice(0, 7) + ')'],
      button: 'Switch to green',
    });
    await cardOf(page, 'demo').locator('.live', { hasText: 'Live: green' }).waitFor();
    await operationEnds(page, beforeSwitch, 'succeeded');
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
    await nginxServes('green');

    // Rollback.
    await cardOf(page, 'demo').getByRole('button', { name: 'Rollback' }).click();
    const beforeRollback = await confirmDialog(page, { contains: ['from green', 'back to blue'], button: 'Roll back to blue' });
    await cardOf(page, 'demo').locator('.live', { hasText: 'Live: blue' }).waitFor();
    assert.equal(await operationEnds(page, beforeRollback, 'succeeded'), 3, 'the rollback is operation 3');
    await nginxServes('blue');
    const history = page.locator('ol.history li');
    await history.filter({ hasText: 'rollback to blue' }).waitFor();
    assert.match(await history.filter({ hasText: 'rollback to blue' }).innerText(), /tester via dashboard/);

    await page.goto('/#/');
    await cardOf(page, 'demo').waitFor();
    await page.screenshot({ path: join(SHOTS, 'dashboard-overview.png'), fullPage: true });
    await w.check();

    // Sign out: the cookie is gone and, replayed, no longer works.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    const replay = await fetch(BG + '/api/v1/apps', { headers: { Cookie: 'bluegreen_session=' + session.value } });
    assert.equal(replay.status, 401, 'a signed-out session cookie is refused');
    await context.close();
  },

  // Lock and unlock; a refused action shows the API's message; a drift made
  // by hand appears on the card.
  async lockdrift(browser) {
    const context = await newContext(browser);
    const page = await context.newPage();
    const w = watchPage(page);
    await signIn(page, env('BG_TOKEN'));
    const card = () => cardOf(page, 'demo');
    await card().getByRole('button', { name: 'Lock', exact: true }).click();
    await page.locator('#f-reason').fill('release freeze');
    await confirmDialog(page, { contains: ['deploys, switches and tasks are refused'], button: 'Lock' });
    await card().locator('.alert.lock', { hasText: 'tester: release freeze' }).waitFor();
    assert.equal((await apiWithBearer('GET', '/api/v1/apps/demo')).body.locks.manual.reason, 'release freeze');

    w.expect(/409/);
    await card().getByRole('button', { name: 'Deploy' }).click();
    await page.locator('dialog#confirm').getByRole('button', { name: 'Deploy' }).click();
    await page.locator('#confirm-error', { hasText: 'locked' }).waitFor();
    await page.locator('dialog#confirm').getByRole('button', { name: 'Cancel' }).click();

    await card().getByRole('button', { name: 'Unlock' }).click();
    await confirmDialog(page, { contains: ['release freeze'], button: 'Unlock' });
    await card().getByRole('button', { name: 'Lock', exact: true }).waitFor();
    assert.equal((await apiWithBearer('GET', '/api/v1/apps/demo')).body.locks.manual, null);

    await ask('drift');
    await card().locator('.alert.drift', { hasText: 'green' }).waitFor();
    figure('event to card update (ms)', await page.evaluate(() => document.documentElement.dataset.eventLagMs));
    await w.check();
    await context.close();
  },

  // A read-only token sees everything and no action; the layout at phone
  // width and in dark mode.
  async readonly(browser) {
    const context = await newContext(browser, { viewport: { width: 375, height: 740 }, colorScheme: 'dark' });
    const page = await context.newPage();
    const w = watchPage(page);
    const fitsPhone = async (what) => {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 375, what + ' is ' + width + ' px wide at a 375 px phone width');
    };
    await page.goto('/');
    await page.getByLabel('API token').waitFor();
    await fitsPhone('the sign-in page');
    await signIn(page, env('BG_READ_TOKEN'));
    await fitsPhone('the overview');
    assert.equal(await page.locator('article.card button').count(), 0, 'no action buttons for a read token');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g).map(Number);
    assert.ok(r + g + b < 150, 'dark mode gives a dark page, not ' + bg);
    await page.screenshot({ path: join(SHOTS, 'dashboard-phone.png'), fullPage: true });

    await cardOf(page, 'demo').getByRole('link', { name: 'demo' }).click();
    const row = page.locator('ol.history li').first();
    await row.waitFor();
    await row.getByRole('link').click();
    await page.locator('section.operation[data-ended]').waitFor();
    await fitsPhone('an operation log');
    assert.equal(await page.locator('article.card button').count(), 0);
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.locator('ol.audit li').first().waitFor();
    await fitsPhone('the audit log');
    // The keyboard alone reaches the app's page.
    await page.goto('/#/');
    await cardOf(page, 'demo').waitFor();
    let reached = false;
    for (let i = 0; i < 30 && !reached; ++i) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement && document.activeElement.textContent === 'demo');
    }
    assert.ok(reached, 'Tab reaches the app link');
    await page.keyboard.press('Enter');
    await page.locator('article.card.full').waitFor();
    await w.check();
    await context.close();
  },

  // Requests from other origins cannot act with the dashboard's session.
  async crosssite(browser) {
    const context = await newContext(browser);
    const page = await context.newPage();
    const w = watchPage(page);
    await signIn(page, env('BG_TOKEN'));
    await w.check();
    const lockUrl = BG + '/api/v1/apps/demo/lock';
    // A form that posts JSON-looking text, and a script that fetches with credentials.
    const attack =
      '<!doctype html><body><form method="POST" enctype="text/plain" action="' + lockUrl + '">' +
      '<input name=\'{"reason":"pwned","x":"\' value=\'"}\'></form>' +
      '<script>fetch("' + lockUrl + '",{method:"POST",credentials:"include",mode:"no-cors",' +
      'body:JSON.stringify({reason:"pwned"})}).finally(()=>document.forms[0].submit())</script></body>';
    for (const host of ['127.0.0.1', '127.0.0.9']) {
      const server = createServer((req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html', Connection: 'close' });
        res.end(attack);
      });
      cleanups.push(() => server.close());
      await new Promise((resolve) => server.listen(0, host, resolve));
      const other = 'http://' + host + ':' + server.address().port + '/';
      console.log('step: an attacking page at ' + other);
      const evil = await context.newPage();
      console.log('step: page open');
      const posts = [];
      evil.on('response', (r) => { if (r.url() === lockUrl) posts.push(r.status()); });
      const formPost = evil.waitForResponse((r) => r.url() === lockUrl && r.request().resourceType() === 'document');
      await evil.goto(other);
      console.log('step: attacking page loaded');
      const answer = await formPost;
      console.log('step: form posted: ' + answer.status());
      assert.ok([401, 403].includes(answer.status()), 'a cross-origin form post from ' + other + ' is refused, not ' + answer.status());
      console.log('step: done with ' + other);
    }
    const app = await apiWithBearer('GET', '/api/v1/apps/demo');
    assert.equal(app.body.locks.manual, null, 'no lock was taken');
    const audit = await apiWithBearer('GET', '/api/v1/events?app=demo');
    assert.ok(!audit.body.events.some((e) => e.action === 'app.lock'), 'nothing was recorded');

    // The cookie itself, sent with another Origin, cannot act either.
    const session = (await context.cookies()).find((c) => c.name === 'bluegreen_session');
    const forged = await fetch(lockUrl, {
      method: 'POST',
      headers: { Cookie: 'bluegreen_session=' + session.value, Origin: 'http://evil.example', 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'pwned' }),
    });
    assert.equal(forged.status, 403);
    assert.equal((await apiWithBearer('GET', '/api/v1/apps/demo')).body.locks.manual, null);
    await context.close();
  },
};

// The daemon restarts while a deploy's log is followed: the page reconnects
// by itself, and the log has every stored line once, to the deploy's end.
Object.assign(scenarios, {
  async restart(browser) {
    const context = await newContext(browser);
    const page = await context.newPage();
    const w = watchPage(page);
    await signIn(page, env('BG_TOKEN'));
    await page.evaluate(() => { window.__sameDocument = true; });
    await cardOf(page, 'demo').getByRole('button', { name: 'Deploy' }).click();
    const beforeDeploy = await confirmDialog(page, { contains: ['green'], button: 'Deploy' });
    const operation = page.locator('section.operation');
    await operation.locator('.line', { hasText: 'holding on 127.0.0.3' }).waitFor();
    // While the daemon is away, the browser's reconnection attempts fail.
    w.allow(/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|ERR_INCOMPLETE_CHUNKED_ENCODING/);
    await ask('restart');
    const opId = await operationEnds(page, beforeDeploy, 'interrupted', 60000);
    await page.locator('#conn.live').waitFor({ timeout: 60000 });
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
    const stored = await apiWithBearer('GET', '/api/v1/deployments/' + opId + '/log');
    const shown = await operation.locator('.line').evaluateAll((els) => els.map((e) => Number(e.dataset.id)));
    assert.deepEqual(shown, stored.body.lines.map((l) => l.id), 'every stored line shown once, in order');
    assert.ok(stored.body.lines.some((l) => l.text.includes('holding on')), 'lines from before the restart');
    // The history and the card heard of the end too, without a reload.
    await page.locator('ol.history li[data-id="' + opId + '"]', { hasText: 'interrupted' }).waitFor();
    w.allow(null);
    await w.check();
    await context.close();
  },
});

// Canary, run task and cancel from their buttons.
Object.assign(scenarios, {
  async canary(browser) {
    const context = await newContext(browser);
    const page = await context.newPage();
    const w = watchPage(page);
    await signIn(page, env('BG_TOKEN'));
    const card = () => cardOf(page, 'demo');

    // A canary of 10 % to green (deployed and ready), seen on the card; Switch completes it.
    await card().getByRole('button', { name: 'Canary' }).click();
    await page.locator('#f-share').fill('10');
    const beforeCanary = await confirmDialog(page, { contains: ['10 % of live traffic goes to green', 'the rest stays on blue'], button: 'Start canary' });
    await card().locator('.live', { hasText: 'Canary: blue 90 %, green 10 %' }).waitFor();
    await operationEnds(page, beforeCanary, 'succeeded');
    await card().getByRole('button', { name: 'Switch' }).click();
    const beforeSwitch = await confirmDialog(page, { contains: ['the canary completes', 'all live traffic goes to green'], button: 'Switch to green' });
    await card().locator('.live', { hasText: 'Live: green' }).waitFor();
    await operationEnds(page, beforeSwitch, 'succeeded');
    await nginxServes('green');

    // A task on the idle colour, from the app's page.
    await card().getByRole('button', { name: 'Run task' }).click();
    await page.locator('#f-task').selectOption('migrate');
    await page.locator('#f-colour').selectOption('blue');
    const beforeTask = await confirmDialog(page, { contains: ['Run migrate on one host'], button: 'Run' });
    await operationEnds(page, beforeTask, 'succeeded');
    await page.locator('section.operation .op-head', { hasText: 'task migrate on blue' }).waitFor();

    // A deploy held at its last step, cancelled from its button.
    await ask('hold-deploys');
    await card().getByRole('button', { name: 'Deploy' }).click();
    const beforeDeploy = await confirmDialog(page, { contains: ['blue, the idle colour'], button: 'Deploy' });
    await page.locator('section.operation .line', { hasText: 'holding on 127.0.0.2' }).waitFor();
    await card().getByRole('button', { name: 'Cancel deploy' }).click();
    await confirmDialog(page, { contains: ['its commands are stopped; live traffic does not move'], button: 'Cancel deploy' });
    await operationEnds(page, beforeDeploy, 'cancelled');
    await card().locator('.live', { hasText: 'Live: green' }).waitFor();
    await nginxServes('green');
    await w.check();
    await context.close();
  },
});

// Sixty apps: how long the overview takes to show them all, and that the
// search and the sort work on them.
Object.assign(scenarios, {
  async sixty(browser) {
    const context = await newContext(browser);
    const page = await context.newPage();
    const w = watchPage(page);
    await signIn(page, env('BG_TOKEN'));
    const timings = [];
    for (let i = 0; i < 5; ++i) {
      await page.reload();
      await page.waitForFunction(() => document.querySelectorAll('article.card').length === 60);
      timings.push(await page.evaluate(() => performance.now()));
    }
    timings.sort((a, b) => a - b);
    figure('overview of 60 apps: load to 60 cards, median of 5 (ms)', timings[2].toFixed(0));
    await page.locator('#search').fill('app4');
    await page.waitForFunction(() => document.querySelectorAll('article.card').length === 10);
    await page.locator('#search').fill('');
    await page.locator('#sort').selectOption('name');
    const names = await page.locator('article.card').evaluateAll((els) => els.map((e) => e.dataset.app));
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
    await w.check();
    await context.close();
  },
});

const name = process.argv[2];
if (!scenarios[name]) {
  console.error('usage: node dashboard.mjs ' + Object.keys(scenarios).join('|'));
  process.exit(2);
}
// Whatever a scenario leaves open (servers), closed at the end so node exits.
const cleanups = [];
// A scenario that hangs fails with what it was doing, before the test's own deadline.
setTimeout(() => {
  console.error('FAILED: ' + name + ': still running after 150 s');
  process.exit(1);
}, 150000).unref();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  timeout: TIMEOUT,
});
try {
  await scenarios[name](browser);
  console.log('ok: ' + name);
} catch (e) {
  console.error('FAILED: ' + name + ': ' + (e && e.stack ? e.stack : e));
  process.exitCode = 1;
  // What the pages showed when it failed.
  let n = 0;
  for (const context of browser.contexts())
    for (const page of context.pages())
      await page.screenshot({ path: join(SHOTS, 'failed-' + name + '-' + ++n + '.png'), fullPage: true }).catch(() => {});
} finally {
  for (const c of cleanups) c();
  await browser.close();
}
