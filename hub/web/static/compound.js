// 一码: the compound page's two forms. Plain browser JS; the page itself is rendered by the hub.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);

  async function post(url, body, headers) {
    const res = await fetch(url, { method: 'POST', headers: Object.assign({ 'content-type': 'application/json' }, headers || {}), body: JSON.stringify(body) });
    let json = null;
    try { json = await res.json(); } catch (_) { /* not JSON */ }
    return { status: res.status, json };
  }

  function say(el, ok, text) {
    el.textContent = text;
    el.className = 'status ' + (ok ? 'ok' : 'bad');
  }

  const REASONS = {
    SS_WEB_RATE_LIMITED: '提交过于频繁，请稍后再试。 Too many reports from this phone; please try again later.',
    SS_WEB_REPORT_INVALID: '请检查内容（1–500 字）。 Please check the text (1–500 characters).',
    SS_WEB_AUTH: '令牌无效。 The token was not accepted.',
    SS_WEB_FORBIDDEN: '此令牌不能报到。 This token cannot check in.',
    SS_WEB_CHECKIN_INVALID: '请填写警号或姓名。 Please fill in the officer field.',
  };
  const why = (r) => (r.json && REASONS[r.json.code]) || ('出错了 Something went wrong (' + r.status + ').');

  // Live: the hub sends the page's rating part again whenever it changes (server-sent events).
  function live() {
    const id = document.body.dataset.compound;
    if (!id || !window.EventSource) return;
    const es = new EventSource('/api/compounds/' + encodeURIComponent(id) + '/events');
    let n = 0;
    es.addEventListener('open', () => { $('live').textContent = '●'; $('live').className = 'live on'; });
    es.addEventListener('error', () => { $('live').textContent = '○'; $('live').className = 'live off'; });
    es.addEventListener('compound', (e) => {
      const data = JSON.parse(e.data);
      // Server-rendered and escaped by the hub (hub/web/compound-page.ts liveSection).
      $('live-region').innerHTML = data.html;
      document.body.dataset.updates = String(++n);
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    live();
    const rf = $('report-form');
    if (rf) {
      const text = $('r-text');
      const count = $('r-count');
      const max = Number(text.getAttribute('maxlength')) || 500;
      text.addEventListener('input', () => { count.textContent = [...text.value].length + ' / ' + max; });
      rf.addEventListener('submit', async (e) => {
        e.preventDefault();
        const btn = rf.querySelector('button');
        btn.disabled = true;
        try {
          const r = await post('/api/compounds/' + encodeURIComponent(rf.dataset.compound) + '/reports', { category: $('r-category').value, text: text.value });
          if (r.status === 201) {
            say($('r-status'), true, '已收到，谢谢！编号 #' + r.json.id + '. Thank you, your report was received.');
            text.value = '';
            count.textContent = '0 / ' + max;
            rf.dataset.lastReport = String(r.json.id);
          } else say($('r-status'), false, why(r));
        } catch (err) {
          say($('r-status'), false, '网络错误 Network error: ' + err.message);
        } finally {
          btn.disabled = false;
        }
      });
    }
    const kf = $('checkin-form');
    if (kf) {
      kf.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          const r = await post('/api/compounds/' + encodeURIComponent(kf.dataset.compound) + '/checkins', { officer: $('k-officer').value, activity: $('k-activity').value }, { authorization: 'Bearer ' + $('k-token').value.trim() });
          if (r.status === 201) say($('k-status'), true, '报到成功 Checked in at ' + window.ssTime.at(r.json.at));
          else say($('k-status'), false, why(r));
        } catch (err) {
          say($('k-status'), false, '网络错误 Network error: ' + err.message);
        }
      });
    }
  });
})();
