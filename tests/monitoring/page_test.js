// page_test.js - the reconciliation page in a real browser (Debian's chromium,
// driven by playwright-core; no browser is downloaded).  Run by
// tests/integration/t0062-observe-page.sh:
//
//   node page_test.js fleet URL TOKEN_FILE SCREENSHOT_DIR HAND_CODE
//   node page_test.js count URL N
//
// fleet: the page shows the hand-made orphan's drift row; the dry run shows
// the plan; an unauthenticated POST and a POST without the CSRF token are
// 403 and change nothing; signed in, apply disables the orphan and prune
// (confirmed in the dialog) deletes it, and the row clears without a reload;
// screenshots (wide and narrow) land in SCREENSHOT_DIR.
// count: the page renders at least N fleet rows; prints the render time.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require(path.join(process.env.DIVE_PLAYWRIGHT_MODULES, 'playwright-core'));

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let checks = 0;
function check(ok, what) {
  checks++;
  if (!ok) throw new Error('FAIL: ' + what);
  console.log('ok: ' + what);
}

async function launch() {
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'dive-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.DIVE_CHROMIUM || '/usr/bin/chromium',
    args: FLAGS,
    headless: true,
    viewport: { width: 1400, height: 1000 },
  });
  return { ctx, dir };
}

async function rawPost(page, url, body, headers) {
  return page.evaluate(async ([u, b, h]) => {
    const r = await fetch(u, { method: 'POST', credentials: 'same-origin', headers: Object.assign({ 'Content-Type': 'application/json' }, h), body: b });
    return r.status;
  }, [url, body, headers || {}]);
}

async function driftOf(page, code) {
  return page.evaluate((c) => {
    const r = document.getElementById('row-' + c);
    return r ? r.dataset.drift : null;
  }, code);
}

async function fleet(url, tokenFile, shots, hand) {
  const token = fs.readFileSync(tokenFile, 'utf8').trim();
  const code = hand.toUpperCase();
  const alias = hand.toLowerCase() + '-idp';
  const { ctx, dir } = await launch();
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    await page.goto(url);
    await page.waitForFunction((c) => {
      const r = document.getElementById('row-' + c);
      return r && r.dataset.drift.includes('orphaned-idp');
    }, code, { timeout: 60000 });
    check(true, 'the drift row of ' + code + ' shows orphaned-idp');
    await page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: 10000 });
    check(true, 'the page is live (event stream open)');
    check(await page.isDisabled('#apply'), 'read-only without a session: apply is disabled');

    // the dry run shows the plan
    await page.click('#dryrun');
    await page.waitForFunction((a) => [...document.querySelectorAll('#plan-steps li')].some((li) => li.textContent.includes(a)),
      alias, { timeout: 60000 });
    const plan = await page.textContent('#plan-steps');
    check(plan.includes('disable idp') && plan.includes(alias), 'the dry run plans to disable ' + alias + ': ' + plan.trim());

    // refused: no session; then a session without the CSRF token
    const gen0 = await page.evaluate(() => document.body.dataset.generation);
    check(await rawPost(page, '/api/reconcile', '{"prune":true,"confirm":"prune"}') === 403, 'an unauthenticated POST is 403');
    await page.fill('#token', token);
    await page.click('#signin button');
    await page.waitForSelector('#who', { state: 'visible', timeout: 10000 });
    check(!(await page.isDisabled('#apply')), 'signed in: apply is enabled');
    check(await rawPost(page, '/api/reconcile', '{"prune":true,"confirm":"prune"}') === 403, 'a POST without the CSRF token is 403');
    check(await rawPost(page, '/api/reconcile', '{"prune":true,"confirm":"prune"}', { 'X-CSRF-Token': 'f'.repeat(64) }) === 403,
      'a POST with a wrong CSRF token is 403');
    await page.waitForTimeout(1500);
    check((await driftOf(page, code) || '').includes('orphaned-idp'), 'the refused POSTs changed nothing');
    const cookies = await ctx.cookies();
    const sess = cookies.find((c) => c.name === 'dive_session');
    check(sess && sess.httpOnly && sess.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict');
    check(await page.evaluate(() => document.cookie.includes('dive_session')) === false, 'scripts cannot read the session cookie');
    await page.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true });

    // apply: the orphan is disabled (still an orphan: the row stays, its actions change)
    await page.evaluate(() => { window.__noReload = 1; });
    await page.click('#apply');
    await page.waitForFunction(() => document.getElementById('action-status').textContent.startsWith('apply: '), null,
      { timeout: 60000 });
    const applied = await page.textContent('#action-status');
    check(applied === 'apply: done', 'apply answered: ' + applied);
    check((await page.textContent('#plan-steps')).includes(alias), 'the applied plan names ' + alias);

    // prune, confirmed in the dialog: the row clears live
    await page.click('#prune');
    await page.fill('#confirm-text', 'prune');
    await page.click('#confirm-ok');
    await page.waitForFunction((c) => {
      const r = document.getElementById('row-' + c);
      return !r || !r.dataset.drift.includes('orphaned-idp');
    }, code, { timeout: 90000 });
    check(await page.evaluate(() => window.__noReload === 1), 'the row cleared without a reload');
    check(Number(await page.evaluate(() => document.body.dataset.generation)) > Number(gen0), 'the page re-read the state live');

    // a narrow window still shows the fleet
    await page.setViewportSize({ width: 390, height: 900 });
    await page.waitForTimeout(300);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 400, 'no horizontal page scroll at 390px (' + width + 'px)');
    await page.screenshot({ path: path.join(shots, 'dashboard-narrow.png'), fullPage: false });
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function count(url, n) {
  const { ctx, dir } = await launch();
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    const t0 = Date.now();
    await page.goto(url);
    await page.waitForFunction((k) => Number(document.body.dataset.rendered || 0) >= k, Number(n), { timeout: 30000 });
    const ms = Date.now() - t0;
    const render = await page.evaluate(() => document.body.dataset.renderMs);
    check(true, 'the page renders ' + n + ' instances');
    console.log('render: load to ' + n + ' rows ' + ms + 'ms, rendering ' + render + 'ms');
    await page.setViewportSize({ width: 390, height: 900 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 400, 'no horizontal page scroll at 390px with ' + n + ' instances (' + width + 'px)');
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  const [mode, ...a] = process.argv.slice(2);
  if (mode === 'fleet') await fleet(a[0], a[1], a[2], a[3]);
  else if (mode === 'count') await count(a[0], a[1]);
  else throw new Error('usage: page_test.js fleet|count ...');
  console.log(checks + ' passed, 0 failed');
})().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
