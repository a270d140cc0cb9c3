// The operator console: fills itself from /api/console/* and stays live over SSE
// (/api/console/events). Plain browser JS, no build step, no third-party code.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const T = window.ssTime;
  let csrf = '';
  function h(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function row(cells, cls) {
    const tr = h('tr', cls || '');
    for (const c of cells) {
      if (c && c.nodeType) {
        if (c.tagName === 'TD') tr.appendChild(c);
        else { const td = h('td'); td.appendChild(c); tr.appendChild(td); }
      } else tr.appendChild(h('td', typeof c === 'number' ? 'n' : '', c));
    }
    return tr;
  }
  const stars = (s) => (s === null || s === undefined ? 'unrated' : s + '★');
  const link = (id, text) => { const a = h('a', '', text); a.href = '/c/' + encodeURIComponent(id); return a; };

  async function get(url) {
    const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
    if (res.status === 401) { location.href = '/login'; throw new Error('session ended'); }
    if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
    return res.json();
  }
  async function post(url) {
    const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'x-safestar-csrf': csrf } });
    const json = await res.json().catch(() => null);
    return { status: res.status, json };
  }

  async function glance() {
    const d = await get('/api/console/overview');
    const t = d.total;
    $('glance-summary').textContent = t.compounds + ' compounds · ' + t.byStars[5] + ' five-star · ' + t.unrated + ' unrated · star changes today: ' +
      d.changesToday.up + ' up, ' + d.changesToday.down + ' down' + (d.changesToday.other ? ', ' + d.changesToday.other + ' other' : '') +
      ' · ' + d.pendingAlarms + ' alarms waiting · ' + d.deadLetters + ' dead letters' +
      (d.edges.connected === null ? ' · ' + d.edges.known + ' edges (connection state not known here)' : ' · edges ' + d.edges.connected + '/' + d.edges.known + ' connected');
    $('glance-summary').dataset.pending = String(d.pendingAlarms);
    const line = (g, name) => row([name, g.byStars[5], g.byStars[4], g.byStars[3], g.byStars[2], g.byStars[1], g.byStars[0], g.unrated]);
    $('glance-table').tBodies[0].replaceChildren(...d.districts.map((g) => line(g, g.name)));
    $('glance-table').tFoot.replaceChildren(line(t, '全市 Whole city'));
  }

  function alarmItem(a) {
    const li = h('li', 'alarm ' + a.status);
    li.dataset.alarmId = a.id;
    li.dataset.status = a.status;
    const head = h('div', 'alarm-head');
    head.appendChild(h('strong', '', a.type));
    head.appendChild(document.createTextNode(' · '));
    head.appendChild(link(a.compound, a.name));
    head.appendChild(h('span', 'muted small', ' ' + (a.districtName || a.district) + ' · device ' + a.device + ' · ' + T.at(a.occurredAt)));
    li.appendChild(head);
    const ev = h('ul', 'evidence small');
    const dev = a.evidence.device;
    ev.appendChild(h('li', '', dev ? 'Device ' + (dev.online ? 'online' : 'offline') + ', last heard ' + T.at(dev.lastSeen) : 'Device not heard by the hub yet'));
    const sc = a.evidence.score;
    ev.appendChild(h('li', sc && sc.anomalous ? 'anomalous' : '', sc ? 'Anomaly score ' + sc.value.toFixed(2) + ' (threshold ' + sc.threshold.toFixed(2) + ', ' + sc.model + ')' + (sc.anomalous ? ': unusual for this device' : ': usual for this device') : 'Not scored by the edge'));
    const c = a.evidence.compound;
    if (c) ev.appendChild(h('li', '', 'Compound now ' + stars(c.stars) + ', index ' + c.index.toFixed(1)));
    if (a.evidence.related.length) {
      ev.appendChild(h('li', '', 'Within 30 min at this compound: ' + a.evidence.related.map((r) => r.type + ' (' + r.device + ', ' + T.hm(r.occurredAt) + ', ' + r.status + ')').join('; ')));
    } else ev.appendChild(h('li', 'muted', 'No other alarm at this compound within 30 min'));
    li.appendChild(ev);
    const act = h('div', 'row');
    const say = h('span', 'status');
    const btn = (label, verb) => {
      const b = h('button', verb, label);
      b.type = 'button';
      b.dataset.action = verb;
      b.addEventListener('click', async () => {
        b.disabled = true;
        const r = await post('/api/alarms/' + encodeURIComponent(a.id) + '/' + verb);
        if (r.status === 200) {
          li.dataset.status = r.json.alarm.status;
          li.className = 'alarm ' + r.json.alarm.status;
          say.className = 'status ok';
          say.textContent = (verb === 'confirm' ? 'Confirmed' : 'Dismissed') + (r.json.compound ? ' · compound now ' + stars(r.json.compound.stars) + ', index ' + r.json.compound.index.toFixed(1) : '');
        } else {
          b.disabled = false;
          say.className = 'status bad';
          say.textContent = (r.json && r.json.code) || 'HTTP ' + r.status;
        }
      });
      return b;
    };
    act.appendChild(say);
    const btns = h('span', 'buttons');
    btns.appendChild(btn('确认 Confirm', 'confirm'));
    btns.appendChild(btn('排除 Dismiss', 'dismiss'));
    act.appendChild(btns);
    li.appendChild(act);
    return li;
  }

  async function alarms() {
    const list = await get('/api/console/alarms?status=pending&limit=50');
    $('alarm-count').textContent = String(list.length);
    // Keep items an operator just decided until the next full refresh shows the result.
    $('alarm-list').replaceChildren(...list.map(alarmItem));
    if (!list.length) $('alarm-list').appendChild(h('li', 'muted', 'No alarm is waiting.'));
  }

  async function infra() {
    const d = await get('/api/console/infrastructure');
    const t = d.totals;
    $('infra-summary').textContent = t.devices + ' devices · ' + t.online + ' online · ' + t.offline + ' offline · ' + t.unreachable + ' behind an offline edge · ' + t.neverHeard + ' not heard yet';
    $('causes').replaceChildren(...d.causes.map((c) => {
      const li = h('li', 'cause ' + c.cause);
      li.dataset.cause = c.cause;
      li.textContent = c.cause === 'edge-offline'
        ? 'Edge ' + c.edge + ' offline' + (c.since ? ' since ' + T.at(c.since) : '') + ': ' + c.devices + ' devices in ' + c.compounds.length + ' compounds unreachable'
        : c.compound + ': ' + c.devices.length + ' device(s) offline (' + c.devices.slice(0, 5).join(', ') + (c.devices.length > 5 ? ', …' : '') + ')';
      return li;
    }));
    if (!d.causes.length) $('causes').appendChild(h('li', 'muted', 'Nothing offline.'));
    $('edges').tBodies[0].replaceChildren(...d.edges.map((e) => {
      // connected null: a cluster worker does not hold the edges' connections (see the reply's limits).
      const tr = row([e.id, e.connected === null ? 'not known here' : e.connected ? 'connected' : 'offline', e.compounds, e.devices, e.devicesOffline], e.connected === null ? '' : e.connected ? 'up' : 'down');
      tr.dataset.edge = e.id;
      return tr;
    }));
  }

  async function dead() {
    const d = await get('/api/console/deadletters');
    const meaning = new Map(d.byReason.map((r) => [r.reason, r.meaning]));
    const line = (reason, where, count, last) => {
      const name = h('td');
      name.appendChild(h('code', '', reason));
      if (meaning.get(reason)) name.appendChild(h('div', 'muted small', meaning.get(reason)));
      const tr = row([name, where, count, last]);
      tr.dataset.reason = reason;
      return tr;
    };
    const rows = [
      ...d.byReason.map((r) => line(r.reason, 'hub', r.count, T.at(r.lastAt))),
      // Bad device traffic stays on the edge's disk (GET /deadletters on its local API); counts only here.
      ...(d.atEdges || []).map((r) => line(r.reason, 'edge ' + r.edge, r.count, '')),
    ];
    $('dead-table').tBodies[0].replaceChildren(...rows);
    $('dead-none').textContent = rows.length ? 'Payloads are kept on disk where they were refused: GET /api/deadletters at the hub, GET /deadletters on an edge.' : 'No dead letter.';
  }

  async function audit() {
    const list = await get('/api/console/audit?limit=30');
    $('audit-table').tBodies[0].replaceChildren(...list.map((a) => row([T.at(a.at), link(a.compound, a.name), stars(a.fromStars) + ' → ' + stars(a.toStars), a.index.toFixed(1), a.trigger])));
  }

  const loaders = { glance, alarms, infra, dead, audit };
  // Which sections an event touches; refreshes are gathered for a moment (an alarm burst is one refresh).
  const TOUCH = { rating: ['glance', 'audit', 'alarms'], alarm: ['alarms', 'glance'], deadletters: ['dead', 'glance'], edge: ['infra', 'glance'] };
  const due = new Set();
  let timer = null;
  function refresh(names) {
    for (const n of names) due.add(n);
    if (timer) return;
    timer = setTimeout(async () => {
      timer = null;
      const now = [...due];
      due.clear();
      await Promise.all(now.map((n) => loaders[n]().catch((e) => { $('live').textContent = '○ ' + e.message; })));
      document.body.dataset.refreshed = String(Date.now());
    }, 400);
  }

  function live() {
    const es = new EventSource('/api/console/events');
    let n = 0;
    es.addEventListener('open', () => { $('live').className = 'live on'; $('live').textContent = '● live'; });
    es.addEventListener('error', () => { $('live').className = 'live off'; $('live').textContent = '○ reconnecting…'; });
    for (const type of Object.keys(TOUCH)) {
      es.addEventListener(type, () => {
        document.body.dataset.events = String(++n);
        refresh(TOUCH[type]);
      });
    }
    // Device state changes reach the hub as events, not bus messages: refresh that view now and then.
    setInterval(() => refresh(['infra']), 15000);
  }

  function tick() { $('clock').textContent = T.hm(Date.now()); }

  document.addEventListener('DOMContentLoaded', async () => {
    tick();
    setInterval(tick, 10000);
    const s = await get('/api/console/session');
    csrf = s.csrf;
    $('logout').addEventListener('click', async () => {
      await post('/api/console/logout');
      location.href = '/login';
    });
    await Promise.all(Object.values(loaders).map((f) => f().catch((e) => { $('live').textContent = '○ ' + e.message; })));
    document.body.dataset.loaded = String(Date.now());
    live();
  });
})();
