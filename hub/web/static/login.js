// The console's login form: the token goes once to POST /api/console/login, which sets the cookie.
'use strict';
(function () {
  document.addEventListener('DOMContentLoaded', () => {
    const form = document.getElementById('login-form');
    const status = document.getElementById('login-status');
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const token = document.getElementById('token').value.trim();
      try {
        const res = await fetch('/api/console/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }), credentials: 'same-origin' });
        if (res.ok) { location.href = '/'; return; }
        const j = await res.json().catch(() => ({}));
        status.className = 'status bad';
        status.textContent = j.code === 'SS_WEB_RATE_LIMITED' ? 'Too many failed logins; wait a few minutes.' : j.code === 'SS_WEB_LOGIN_INVALID' || res.status === 400 ? '令牌无效 This is not an operator token.' : 'Login failed (' + res.status + ').';
      } catch (err) {
        status.className = 'status bad';
        status.textContent = '网络错误 Network error: ' + err.message;
      }
    });
  });
})();
