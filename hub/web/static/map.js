// 一图: the city map. Plain browser JS, no build step; Leaflet is served by the hub (it may run offline).
'use strict';
(function () {
  // ?refresh=N (seconds, ≥ 1) for wall displays and tests; 10 s by default.
  const REFRESH_MS = Math.max(1000, Number(new URLSearchParams(location.search).get('refresh')) * 1000 || 10000);
  const $ = (id) => document.getElementById(id);
  let districtsFilled = false;

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

  // Leaflet (served by the hub: /web/leaflet/). The basemap is the city's own tile server when
  // configured; offline, the district areas generated from the compounds' locations are the map.
  const AREA = ['#dbe9f6', '#e4f1de', '#f6e8d8', '#ece1f3', '#f5f0d0', '#dcefee', '#f3dde3', '#e6e6e6'];
  let map = null, points = null;
  async function setupMap() {
    map = L.map('map', { zoomSnap: 0.25, attributionControl: true, preferCanvas: false });
    const res = await fetch('/api/map/layers', { cache: 'no-store' });
    const layers = res.ok ? await res.json() : { basemap: null, districts: { features: [], bounds: null } };
    // A view first: Leaflet renders layers (and makes their elements) only once the map has one.
    if (layers.districts.bounds) map.fitBounds(layers.districts.bounds, { padding: [8, 8] });
    else map.setView([24.48, 118.09], 11);
    if (layers.basemap) L.tileLayer(layers.basemap.url, { maxZoom: 19, attribution: 'City basemap' }).addTo(map);
    const feats = layers.districts.features;
    const areas = feats.filter((f) => f.properties.kind === 'district');
    L.geoJSON({ type: 'FeatureCollection', features: areas }, {
      interactive: false,
      style: (f) => ({ stroke: false, fillOpacity: layers.basemap ? 0.25 : 1, fillColor: AREA[areas.indexOf(f) % AREA.length], className: 'darea' }),
    }).addTo(map);
    L.geoJSON({ type: 'FeatureCollection', features: feats.filter((f) => f.properties.kind === 'boundary') }, {
      interactive: false,
      style: () => ({ color: '#7b8794', weight: 1.5, opacity: 0.9, className: 'dboundary' }),
    }).addTo(map);
    // District names sit where the generator found room: on no compound.
    for (const f of areas) {
      const icon = L.divIcon({ className: 'dlabel', html: '<span class="dlabel-text"></span>', iconSize: [0, 0] });
      const m = L.marker(f.properties.label, { icon, interactive: false, keyboard: false }).addTo(map);
      m.getElement().firstChild.textContent = f.properties.name;
      m.getElement().dataset.district = f.properties.id;
    }
    points = L.layerGroup().addTo(map);
    document.body.dataset.basemap = layers.basemap ? 'tiles' : 'offline';
  }

  function drawMap(data) {
    if (!map) return;
    points.clearLayers();
    const r = data.points.length > 800 ? 4 : data.points.length > 200 ? 6 : 8;
    // Low stars are drawn last so they stay visible on top of the five-star crowd.
    const sorted = data.points.slice().sort((a, b) => (b.stars ?? 6) - (a.stars ?? 6));
    for (const p of sorted) {
      const m = L.circleMarker([p.lat, p.lon], { radius: r, className: 'pt ' + starClass(p.stars), weight: 1, color: '#fff', fillOpacity: 1 });
      m.bindTooltip(p.name + ' · ' + starWord(p.stars) + (p.stars === null ? '' : ' · ' + p.index.toFixed(1)));
      m.on('click', () => { location.href = '/c/' + encodeURIComponent(p.id); });
      m.addTo(points);
      const el = m.getElement();
      el.dataset.id = p.id;
      el.dataset.stars = p.stars === null ? 'unrated' : String(p.stars);
      el.dataset.district = p.district;
    }
    if (data.district && data.points.length) map.fitBounds(L.latLngBounds(data.points.map((p) => [p.lat, p.lon])).pad(0.3), { maxZoom: 15 });
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
    $('updated').textContent = 'Updated ' + window.ssTime.hms(Date.parse(data.generatedAt));
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
    setupMap().catch((e) => { console.error('map layers: ' + e.stack); $('updated').textContent = 'Map layers failed (' + e.message + ')'; }).then(load).then(() => {
      const want = params.get('district');
      if (want && [...$('district').options].some((o) => o.value === want)) {
        $('district').value = want;
        load();
      }
    });
    setInterval(load, REFRESH_MS);
  });
})();
