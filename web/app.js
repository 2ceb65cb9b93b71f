// app.js - the reconciliation page of `dive serve` (no framework, no CDN).
// Reads /api/state and re-reads it whenever /events says the state store
// changed; actions POST with the session's CSRF token.  Every value is put
// in the page with textContent, never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
let state = null;
let csrf = null;
let signedIn = false;
let selected = null;
let pending = null;
let canSignIn = false;
const PHASES = { initializing: 'init', deploying: 'deploy', configuring: 'config', verifying: 'verify', rolling_back: 'rollback' };

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function pill(text, kind) {
  return el('span', text, 'pill ' + kind);
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? '' : String(c);
    tr.appendChild(td);
  }
  return tr;
}

function fill(table, rows, empty) {
  const body = table.tBodies[0];
  body.replaceChildren(...rows);
  if (!rows.length) body.appendChild(row([el('span', empty, 'note')]));
}

async function api(path, opts) {
  const r = await fetch(path, Object.assign({ credentials: 'same-origin', cache: 'no-store' }, opts || {}));
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  return { status: r.status, body };
}

function post(path, data) {
  return api(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf || '' },
    body: JSON.stringify(data || {}),
  });
}

function status(text, err) {
  const s = $('action-status');
  s.textContent = text;
  s.className = 'status' + (err ? ' err' : '');
}

// --- the fleet -------------------------------------------------------------------------

function stateKind(s) {
  if (!s) return 'off';
  if (s === 'COMPLETE') return 'ok';
  if (s === 'FAILED' || s === 'INTERRUPTED') return 'bad';
  return 'warn';
}

function fleetCodes(st) {
  const codes = new Set();
  for (const i of st.instances || []) codes.add(i.code);
  for (const f of (st.audit && st.audit.findings) || []) codes.add(f.code);
  for (const c of Object.keys(st.containers || {})) codes.add(c);
  return [...codes].sort((a, b) => (a === 'USA' ? -1 : b === 'USA' ? 1 : a.localeCompare(b)));
}

function renderFleet(st) {
  const inst = Object.fromEntries((st.instances || []).map((i) => [i.code, i]));
  const audited = !!(st.audit && st.audit.ok);
  const find = Object.fromEntries(((st.audit && st.audit.findings) || []).map((f) => [f.code, f]));
  const rows = [];
  for (const code of fleetCodes(st)) {
    const i = inst[code];
    const f = find[code];
    const svcs = (st.containers || {})[code] || [];
    const healthy = svcs.filter((s) => s.healthy).length;
    const drift = f ? f.drift.map((d) => d.kind) : [];
    const actions = f ? f.actions : [];
    const name = el('b', code);
    if (i && i.name) name.title = i.name;
    const tr = row([
      name,
      i ? pill(i.state, stateKind(i.state)) : el('span', '-', 'note'),
      svcs.length ? pill(healthy + '/' + svcs.length, healthy === svcs.length ? 'ok' : healthy ? 'warn' : 'bad') : '-',
      f && f.registration ? f.registration : '-',
      f ? f.idp : '-',
      f ? f.stack : '-',
      drift.length ? el('span', drift.join(', '), 'drift')
        : el('span', code === 'USA' && !f ? 'the hub (not federated)' : audited ? 'in sync' : 'not audited yet', 'note'),
      actions.length ? actions.join('; ') : '-',
    ]);
    tr.id = 'row-' + code;
    tr.dataset.code = code;
    tr.dataset.drift = drift.join(',');
    tr.lastElementChild.className = 'wrap';
    if (drift.length) tr.classList.add('drifted');
    tr.addEventListener('click', () => openDetail(code));
    rows.push(tr);
  }
  fill($('fleet'), rows, 'nothing deployed and nothing audited yet');
  return rows.length;
}

function renderSummary(st) {
  const codes = fleetCodes(st);
  const a = st.audit;
  const complete = (st.instances || []).filter((i) => i.state === 'COMPLETE').length;
  const items = [
    ['instances', codes.length],
    ['complete', complete],
    ['with drift', a && a.ok ? a.drifted : '?'],
    ['last audit', a ? a.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') + (a.ok ? '' : ' (failed)') : 'none yet'],
    ['locks held', (st.locks || []).length],
    ['breakers not closed', (st.breakers || []).filter((b) => b.state !== 'closed').length],
  ];
  $('summary').replaceChildren(...items.map(([k, v]) => {
    const d = el('div');
    d.appendChild(el('b', v));
    d.appendChild(el('span', k, 'note'));
    return d;
  }));
  if (a && !a.ok) $('summary').appendChild(el('div', 'audit failed: ' + a.error, 'status err'));
}

function renderSide(st) {
  fill($('locks'), (st.locks || []).map((l) => row([l.name, l.command, l.age_s + 's'])), 'no lock held');
  fill($('breakers'), (st.breakers || []).map((b) => row([b.name, pill(b.state, b.state === 'closed' ? 'ok' : 'bad'),
    b.since, b.last_error])), 'every endpoint is closed');
  fill($('runs'), (st.runs || []).map((r) => row([
    '#' + r.id, r.code, r.mode, pill(r.outcome, r.outcome === 'succeeded' ? 'ok' : r.outcome === 'running' ? 'warn' : 'bad'),
    (r.ms / 1000).toFixed(1) + 's',
    Object.entries(r.phases_ms || {}).map(([p, ms]) => (PHASES[p.toLowerCase()] || p.toLowerCase()) + ' ' + (ms / 1000).toFixed(1) + 's').join(' · '),
  ])), 'no run recorded');
  fill($('errors'), (st.errors || []).map((e) => {
    const tr = row([e.at ? e.at.slice(0, 19).replace('T', ' ') : '', e.code + ' ' + e.name, e.instance || '', e.message, e.remediation]);
    tr.children[3].className = 'wrap';
    tr.children[4].className = 'wrap';
    return tr;
  }), 'no error recorded');
}

async function refresh() {
  const r = await api('/api/state');
  if (r.status !== 200 || !r.body) { status('cannot read the state (' + r.status + ')', true); return; }
  state = r.body;
  const t0 = performance.now();
  renderSummary(state);
  const n = renderFleet(state);
  renderSide(state);
  document.body.dataset.rendered = String(n);
  document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
  document.body.dataset.generation = String((Number(document.body.dataset.generation) || 0) + 1);
  if (selected) openDetail(selected, true);
}

// --- one instance ------------------------------------------------------------------------

async function openDetail(code, quiet) {
  selected = code;
  $('detail').hidden = false;
  $('detail-title').textContent = code;
  const spoke = code !== 'USA';
  $('approve').hidden = $('suspend').hidden = !spoke;
  if (!quiet) fill($('d-services'), [], 'reading…');
  const r = await api('/api/spoke/' + encodeURIComponent(code));
  if (selected !== code || !r.body) return;
  const d = r.body;
  $('detail-title').textContent = code + ' ' + (d.name || '');
  const svcs = (d.stack && d.stack.services) || [];
  fill($('d-services'), svcs.map((s) => row([s.service, pill(s.state, s.healthy ? 'ok' : 'bad'), s.health])), 'no service');
  const fed = d.federation;
  const show = (v) => (v === 1 || v === true ? 'present' : v === 0 || v === false ? 'absent' : 'not read (stack down)');
  fill($('d-fed'), fed ? [
    row(['registration', fed.registration]), row(['hub idp', fed.hub_idp + (fed.hub_idp_misconfigured ? ' (misconfigured)' : '')]),
    row(['hub client', show(fed.hub_client)]), row(['spoke idp', show(fed.spoke_idp)]), row(['spoke client', show(fed.spoke_client)]),
    row(['public', fed.public ? 'yes' : 'no']),
  ] : [], spoke ? 'cannot read the federation: ' + JSON.stringify(d.errors_reading || {}) : 'the hub');
  fill($('d-checks'), (d.last_checks || []).map((c) => row([c.service, c.action, pill(c.status, c.status === 'done' ? 'ok' : 'bad'), c.error || ''])),
    'no verification recorded');
  $('d-releases').textContent = (d.releases && d.releases.note) || '';
}

// --- session and actions -----------------------------------------------------------------------

function setSession(s) {
  signedIn = !!s.signed_in;
  csrf = s.csrf || null;
  if ('can_sign_in' in s) canSignIn = !!s.can_sign_in;
  $('signin').hidden = signedIn || !canSignIn;
  $('who').hidden = !signedIn;
  $('readonly').hidden = canSignIn;
  for (const id of ['apply', 'prune', 'approve', 'suspend']) $(id).disabled = !signedIn;
}

async function session() {
  const r = await api('/api/session');
  if (r.body) setSession(r.body);
}

function showPlan(kind, body) {
  $('plan').hidden = false;
  $('plan-kind').textContent = kind;
  const steps = (body && body.steps) || [];
  const items = steps.map((s) => el('li', (s.done ? s.outcome + ': ' : '') + s.what));
  if (!items.length) items.push(el('li', body && body.ok ? 'nothing to do: the layers agree' : 'no plan', 'note'));
  $('plan-steps').replaceChildren(...items);
}

async function act(label, fn) {
  if (pending) return;
  pending = label;
  status(label + '…');
  try {
    const r = await fn();
    if (r.status === 200) status(label + ': done');
    else status(label + ': ' + ((r.body && r.body.error) || 'HTTP ' + r.status), true);
    return r;
  } finally {
    pending = null;
  }
}

$('dryrun').addEventListener('click', () => act('dry run', async () => {
  const r = await api('/api/plan');
  showPlan('(dry run: nothing was changed)', r.body);
  return r;
}));
$('apply').addEventListener('click', () => act('apply', async () => {
  const r = await post('/api/reconcile', { prune: false });
  showPlan('(applied)', r.body);
  return r;
}));
$('prune').addEventListener('click', () => {
  $('confirm-text').value = '';
  $('confirm').showModal();
});
$('confirm').addEventListener('close', () => {
  if ($('confirm').returnValue !== 'ok' || $('confirm-text').value !== 'prune') return;
  act('prune', async () => {
    const r = await post('/api/reconcile', { prune: true, confirm: 'prune' });
    showPlan('(pruned)', r.body);
    return r;
  });
});
$('approve').addEventListener('click', () => act('approve ' + selected, () => post('/api/approve', { code: selected })));
$('suspend').addEventListener('click', () => act('suspend ' + selected, () => post('/api/suspend', { code: selected })));
$('close-detail').addEventListener('click', () => { selected = null; $('detail').hidden = true; });
$('signin').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await api('/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf || '' },
    body: JSON.stringify({ token: $('token').value }),
  });
  $('token').value = '';
  if (r.status === 200) { status('signed in'); setSession(r.body); } else { status('sign-in refused', true); await session(); }
});
$('signout').addEventListener('click', async () => {
  await post('/api/logout');
  await session();
});

// --- live -----------------------------------------------------------------------------------------

let timer = null;
function soon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 250);
}

function live() {
  const es = new EventSource('/events');
  es.addEventListener('hello', () => { $('live').textContent = 'live'; $('live').className = 'pill ok'; soon(); });
  es.addEventListener('change', soon);
  es.onerror = () => { $('live').textContent = 'reconnecting'; $('live').className = 'pill warn'; };
}

session().then(refresh).then(live);
