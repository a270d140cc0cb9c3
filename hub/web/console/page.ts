import { page } from '../html.ts';

/** The operator console (filled by /web/console.js from /api/console/* and kept live over SSE). */
export function consolePage(): string {
  const body = `<main class="wide console" id="console">
<header class="top bar">
<h1>平安星级 运维台 <span class="en">Operator console</span></h1>
<p class="muted small"><span id="live" class="live off" data-testid="live">○ connecting…</span> · <span id="clock" data-testid="clock"></span> · <a href="/map">City map</a> · <button type="button" id="logout" class="link">Log out</button></p>
</header>
<section class="card" id="glance" data-testid="glance"><h2>全市概览 The city at a glance</h2>
<p id="glance-summary" class="summary"></p>
<div class="scroll"><table class="glance" id="glance-table"><thead><tr><th>区 District</th><th class="n">5★</th><th class="n">4★</th><th class="n">3★</th><th class="n">2★</th><th class="n">1★</th><th class="n">0★</th><th class="n">unrated</th></tr></thead><tbody></tbody><tfoot></tfoot></table></div>
</section>
<section class="card" id="alarms" data-testid="alarms"><h2>待确认报警 Alarms waiting <span id="alarm-count" class="badge"></span></h2>
<p class="muted small">Device alarms count towards a compound's index only once an operator confirms them. Each shows what else happened at the compound within 30 minutes.</p>
<ol id="alarm-list" class="alarms"></ol>
</section>
<section class="card" id="infra" data-testid="infra"><h2>边缘节点与设备 Edges and devices</h2>
<p id="infra-summary" class="summary"></p>
<ul id="causes" class="causes"></ul>
<div class="scroll"><table id="edges"><thead><tr><th>Edge</th><th>State</th><th class="n">Compounds</th><th class="n">Devices</th><th class="n">Offline</th></tr></thead><tbody></tbody></table></div>
</section>
<section class="card" id="dead" data-testid="deadletters"><h2>死信 Dead letters by reason</h2>
<div class="scroll"><table id="dead-table"><thead><tr><th>Reason</th><th>Where</th><th class="n">Count</th><th>Last</th></tr></thead><tbody></tbody></table></div>
<p class="muted small" id="dead-none"></p>
</section>
<section class="card" id="audit" data-testid="audit"><h2>星级变更记录 Audit of star changes</h2>
<div class="scroll"><table id="audit-table"><thead><tr><th>When</th><th>Compound</th><th>Stars</th><th class="n">Index</th><th>Why</th></tr></thead><tbody></tbody></table></div>
</section>
<footer class="muted small">All times are Beijing time (Asia/Shanghai, UTC+8).</footer>
</main>`;
  return page('运维台 Operator console · Safestar', body, { scripts: ['/web/time.js', '/web/console.js'] });
}

/** The login page: paste an operator token once; the browser then holds only a session cookie. */
export function loginPage(): string {
  const body = `<main class="narrow">
<header class="plaque s-none"><h1>运维台登录<br><span class="en">Operator console login</span></h1>
<p class="muted small">Paste your operator token (from <code>safestar hub tokens add operator</code>, or the one <code>npm start</code> prints). It is exchanged for a session cookie and not kept in the browser.</p></header>
<form id="login-form" class="card">
<label for="token">操作员令牌 Operator token</label><input id="token" name="token" type="password" autocomplete="off" minlength="16" maxlength="512" required>
<div class="row"><span></span><button type="submit">登录 Log in</button></div>
<p class="status" id="login-status" role="status" aria-live="polite"></p>
</form>
<footer><a href="/map">全市平安地图 City safety map</a></footer>
</main>`;
  return page('登录 Log in · Safestar', body, { scripts: ['/web/login.js'] });
}
