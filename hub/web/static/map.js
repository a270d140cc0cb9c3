// 一图: the city map. Plain browser JS, no build step, no third-party code (the hub runs offline).
'use strict';
(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const W = 1000, H = 700, PAD = 24;
  // ?refresh=N (seconds, ≥ 1) for wall displays and tests; 10 s by default.
  const REFRESH_MS = Math.max(1000, Number(new URLSearchParams(location.search).get('refresh')) * 1000 || 10000);
  const $ = (id) => document.getElementById(id);
  let districtsFilled = false;

  function el(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function h(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // null stars = unrated (not enough data): drawn grey, never as a star level.
  const starClass = (s) => (s === null || s === undefined ? 'unrated' : 's' + Math.max(0, Math.min(5, Math.round(s))));
  const starWord = (s) => (s === null || s === undefined ? 'unrated' : s + '★');
  const pct = (x) => (x * 100).toFixed(1) + ' %';

  // Equirectangular projection over the points' bounding box; x is scaled by cos(latitude) so a
  // kilometre east looks as long as a kilometre north at the city's latitude.
  function projector(points) {
    let la0 = Infinity, la1 = -Infinity, lo0 = Infinity, lo1 = -Infinity;
    for (const p of points) {
      la0 = Math.min(la0, p.lat); la1 = Math.max(la1, p.lat);
      lo0 = Math.min(lo0, p.lon); lo1 = Math.max(lo1, p.lon);
    }
    const k = Math.cos(((la0 + la1) / 2) * Math.PI / 180);
    const spanX = Math.max((lo1 - lo0) * k, 1e-4), spanY = Math.max(la1 - la0, 1e-4);
    const scale = Math.min((W - 2 * PAD) / spanX, (H - 2 * PAD) / spanY);
    const ox = (W - spanX * scale) / 2, oy = (H - spanY * scale) / 2;
    return (p) => [ox + (p.lon - lo0) * k * scale, H - (oy + (p.lat - la0) * scale)];
  }

  function drawMap(data) {
    const svg = $('map');
    svg.replaceChildren();
    svg.appendChild(el('rect', { x: 0, y: 0, width: W, height: H, class: 'sea' }));
    if (!data.points.length) {
      svg.appendChild(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'No compounds with a location'));
      return;
    }
    const proj = projector(data.points);
    const r = data.points.length > 800 ? 4 : data.points.length > 200 ? 6 : 9;
    // Low stars are drawn last so they stay visible on top of the five-star crowd.
    const sorted = data.points.slice().sort((a, b) => (b.stars ?? 6) - (a.stars ?? 6));
    const g = el('g', { id: 'points' });
    for (const p of sorted) {
      const [x, y] = proj(p);
      const a = el('a', { href: '/c/' + encodeURIComponent(p.id) });
      const c = el('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r, class: 'pt ' + starClass(p.stars), 'data-id': p.id, 'data-stars': p.stars === null ? 'unrated' : p.stars, 'data-district': p.district });
      c.appendChild(el('title', {}, p.name + ' · ' + starWord(p.stars) + (p.stars === null ? '' : ' · ' + p.index.toFixed(1))));
      a.appendChild(c);
      g.appendChild(a);
    }
    svg.appendChild(g);
    // District names at the centre of their compounds, under nothing: orientation without a base map.
    const centres = new Map();
    for (const p of data.points) {
      const [x, y] = proj(p);
      const c = centres.get(p.district) || { x: 0, y: 0, n: 0 };
      c.x += x; c.y += y; c.n++;
      centres.set(p.district, c);
    }
    const names = new Map(data.districts.map((d) => [d.id, d.name]));
    for (const [id, c] of centres) {
      svg.insertBefore(el('text', { x: (c.x / c.n).toFixed(0), y: (c.y / c.n).toFixed(0), 'text-anchor': 'middle', class: 'dlabel' }, names.get(id) || id), g);
    }
  }

  function drawDistricts(data) {
    const sel = $('district');
    if (!districtsFilled) {
      for (const d of data.districts) {
        const o = h('option', '', d.name);
        o.value = d.id;
        sel.appendChild(o);
      }
      districtsFilled = true;
    }
    const row = (d, isTotal) => {
      const tr = h('tr', (isTotal ? 'total' : '') + (data.district === d.id ? ' selected' : ''));
      tr.dataset.district = d.id;
      tr.appendChild(h('td', '', isTotal ? '全市 Whole city' : d.name));
      tr.appendChild(h('td', 'n', String(d.compounds)));
      tr.appendChild(h('td', 'n five', String(d.fiveStar)));
      const td = h('td', 'share');
      const bar = h('span', 'sharebar');
      const fill = h('span', 'sharefill' + (d.share > 0.25 ? ' above' : ''));
      fill.setAttribute('data-share', d.share.toFixed(3));
      // Set through the CSSOM: the CSP forbids inline style attributes, not this.
      fill.style.width = Math.round(d.share * 100) + '%';
      bar.appendChild(fill);
      td.appendChild(bar);
      td.appendChild(h('span', 'pct', pct(d.share)));
      tr.appendChild(td);
      return tr;
    };
    const tb = $('districts').tBodies[0];
    tb.replaceChildren(...data.districts.map((d) => row(d, false)));
    $('districts').tFoot.replaceChildren(row(data.total, true));
  }

  function drawLowest(data) {
    const ol = $('lowest');
    ol.replaceChildren();
    for (const c of data.lowest) {
      const li = h('li', 'low');
      const a = h('a', '', c.name);
      a.href = '/c/' + encodeURIComponent(c.id);
      const head = h('div', 'lowhead');
      head.appendChild(a);
      head.appendChild(h('span', 'badge ' + starClass(c.stars), c.stars + '★ ' + c.index.toFixed(1)));
      li.appendChild(head);
      li.appendChild(h('div', 'muted small', c.reasons.length ? c.reasons.join(' · ') : 'no case on record'));
      ol.appendChild(li);
    }
  }

  function drawSummary(data) {
    const scope = data.district ? data.districts.find((d) => d.id === data.district) : data.total;
    const s = scope || data.total;
    $('summary').textContent = s.compounds + ' compounds · ' + s.fiveStar + ' five-star (' + pct(s.share) + ' of rated)' + (s.unrated ? ' · ' + s.unrated + ' unrated' : '');
    $('summary').dataset.unrated = String(s.unrated || 0);
    $('summary').dataset.compounds = String(s.compounds);
    $('summary').dataset.fiveStar = String(s.fiveStar);
    $('unplaced').textContent = data.unplaced ? data.unplaced + ' compound(s) have no location and are not drawn.' : '';
    $('updated').textContent = 'Updated ' + new Date(data.generatedAt).toLocaleTimeString();
  }

  // 共性问题: the most common case categories and alarm types of the district (or the city), rising
  // ones first and marked, as the city's notices cite them.
  function drawProblems(ins, district) {
    const ol = $('problems');
    ol.replaceChildren();
    const merged = new Map();
    for (const d of ins.districts) {
      if (district && d.id !== district) continue;
      for (const p of d.problems) {
        const k = p.source + ':' + p.kind;
        const m = merged.get(k) || { label: p.label, total: 0, rising: false, counts: p.counts.map(() => 0) };
        m.total += p.total;
        m.rising = m.rising || p.rising;
        p.counts.forEach((c, i) => { m.counts[i] += c; });
        merged.set(k, m);
      }
    }
    const list = [...merged.values()].sort((a, b) => (b.rising - a.rising) || (b.total - a.total)).slice(0, 8);
    for (const p of list) {
      const li = h('li', 'problem' + (p.rising ? ' rising' : ''), (p.rising ? '▲ ' : '') + p.label + ' · ' + p.total);
      li.dataset.rising = String(p.rising);
      li.title = ins.months.map((m, i) => m + ': ' + p.counts[i]).join(', ');
      ol.appendChild(li);
    }
    if (!list.length) ol.appendChild(h('li', 'muted small', 'no case or alarm in the last 6 months'));
  }

  let inflight = false;
  async function load() {
    if (inflight) return;
    inflight = true;
    try {
      const d = $('district').value;
      const res = await fetch('/api/map' + (d ? '?district=' + encodeURIComponent(d) : ''), { cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const data = await res.json();
      drawDistricts(data);
      drawMap(data);
      drawLowest(data);
      drawSummary(data);
      // The cases API may be absent (a hub without it): the map works without this layer.
      const ir = await fetch('/api/insights', { cache: 'no-store' });
      if (ir.ok) drawProblems(await ir.json(), data.district);
      document.body.dataset.loaded = String(Date.now());
      document.body.dataset.district = data.district || '';
    } catch (e) {
      $('updated').textContent = 'Could not refresh (' + e.message + '); retrying.';
    } finally {
      inflight = false;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    const params = new URLSearchParams(location.search);
    $('district').addEventListener('change', () => {
      const u = new URL(location.href);
      if ($('district').value) u.searchParams.set('district', $('district').value);
      else u.searchParams.delete('district');
      history.replaceState(null, '', u);
      load();
    });
    load().then(() => {
      const want = params.get('district');
      if (want && [...$('district').options].some((o) => o.value === want)) {
        $('district').value = want;
        load();
      }
    });
    setInterval(load, REFRESH_MS);
  });
})();
