import { CHECKIN_ACTIVITIES, REPORT_CATEGORIES } from './labels.ts';
import { esc, page, starsText } from './html.ts';
import type { PublicCompound } from './public-view.ts';
import { REPORT_TEXT_MAX } from './validate.ts';

export interface CompoundPageExtras {
  districtName: string;
  /** Check-ins in the last 30 days by activity (counts only: officers are not named in public). */
  checkins: Record<string, number>;
}

function notices(p: PublicCompound): string {
  let out = '';
  if (p.veto) {
    out += `<section class="notice veto" data-testid="veto"><h2>一票否决 Plaque recalled</h2>
<p>A serious case (<strong>${esc(p.veto.label)}</strong>, ${esc(p.veto.month)}) happened here. Under the city's rule the star plaque is recalled and the compound is
rated 0 stars${p.veto.untilMonth ? `; it can be rated again from <strong>${esc(p.veto.untilMonth)}</strong>` : ' for the rest of this year'}.</p></section>`;
  }
  for (const g of p.downgrades) {
    const cases = g.cases.map((c) => `${esc(c.label)} (${esc(c.month)})`).join(', ');
    out += `<section class="notice downgrade" data-testid="downgrade"><h2>降星 −${esc(g.stars)}★ ${esc(g.label)}</h2>
<p>Stars are lowered because of ${cases || esc(g.label)}${g.untilMonth ? `, until <strong>${esc(g.untilMonth)}</strong> if nothing similar happens again` : ''}.</p></section>`;
  }
  return out;
}

function streaks(p: PublicCompound): string {
  const d = p.streaks.daysSinceLastIncident;
  // A fresh incident is not good news: colour the count by how long the compound has been quiet.
  const tone = d === null || d >= 90 ? 'calm' : d >= 30 ? 'mid' : 'recent';
  const big = d === null
    ? '<span class="big calm">✓</span><span>no police incident on record in the last year 近一年零警情</span>'
    : `<span class="big ${tone}" data-testid="days">${esc(d)}</span><span>${d === 1 ? 'day' : 'days'} since the last police incident 距上次警情天数</span>`;
  const flag = (label: string, f: PublicCompound['streaks']['month']) =>
    f ? `<li class="${f.zeroAlerts ? 'ok' : 'no'}">${f.zeroAlerts ? '✓' : '✗'} ${esc(label)} ${esc(f.period)}: ${f.zeroAlerts ? 'zero incidents 零警情' : 'incidents recorded 有警情'}</li>` : '';
  return `<section class="card"><h2>零警情 Zero incidents</h2><p class="streak">${big}</p><ul class="flags">${flag('本月 month', p.streaks.month)}${flag('本年 year', p.streaks.year)}</ul></section>`;
}

function subScores(p: PublicCompound): string {
  if (!p.subScores.length) return '';
  const rows = p.subScores
    .map((s) => {
      const w = s.score === null ? 0 : Math.max(0, Math.min(100, s.score));
      const cls = s.score === null ? 'none' : s.score >= 90 ? 'vgood' : s.score >= 75 ? 'good' : s.score >= 60 ? 'fair' : 'poor';
      return `<li class="sub ${cls}"><div class="sub-head"><span>${esc(s.label)}</span><span class="words">${esc(s.words)}${s.score === null ? '' : ` · ${esc(Math.round(s.score))}`}</span></div>
<div class="bar" role="img" aria-label="${esc(s.score === null ? 'no data' : `${s.score} of 100`)}"><svg viewBox="0 0 100 6" preserveAspectRatio="none"><rect width="100" height="6" class="track"/><rect width="${w}" height="6" class="fill"/></svg></div></li>`;
    })
    .join('');
  const drivers = p.drivers.length
    ? `<p class="muted">What lowers the index most 主要扣分: ${p.drivers.map((d) => `${esc(d.label)} (−${esc(d.points)})`).join(', ')}</p>`
    : '';
  return `<section class="card"><h2>分项 How the index is made</h2><ul class="subs">${rows}</ul>${drivers}</section>`;
}

function checkins(x: CompoundPageExtras): string {
  const n = Object.values(x.checkins).reduce((a, b) => a + b, 0);
  if (n === 0) return '';
  const parts = Object.entries(CHECKIN_ACTIVITIES).filter(([k]) => x.checkins[k]).map(([k, label]) => `${esc(label)} ${esc(x.checkins[k] ?? 0)}`);
  return `<section class="card"><h2>政法干警报到 Legal officers here</h2><p data-testid="checkins">${esc(n)} visits in the last 30 days: ${parts.join(' · ')}</p></section>`;
}

function forms(p: PublicCompound): string {
  const cats = Object.entries(REPORT_CATEGORIES).map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join('');
  const acts = Object.entries(CHECKIN_ACTIVITIES).map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join('');
  return `<section class="card" id="report"><h2>反映平安需求 Report a safety need</h2>
<p class="muted">Tell the community and police what worries you. Please do not write names or phone numbers. For emergencies call 110.</p>
<form id="report-form" data-compound="${esc(p.id)}">
<label for="r-category">类别 Category</label><select id="r-category" name="category" required>${cats}</select>
<label for="r-text">内容 What is the need?</label><textarea id="r-text" name="text" rows="4" maxlength="${REPORT_TEXT_MAX}" required></textarea>
<div class="row"><span class="muted" id="r-count">0 / ${REPORT_TEXT_MAX}</span><button type="submit">提交 Send</button></div>
<p class="status" id="r-status" role="status" aria-live="polite"></p>
</form></section>
<details class="card" id="checkin"><summary>政法干警扫码报到 Legal officer check-in</summary>
<form id="checkin-form" data-compound="${esc(p.id)}">
<label for="k-token">部门令牌 Department token</label><input id="k-token" name="token" type="password" autocomplete="off" required>
<label for="k-officer">警号或姓名 Officer (badge no. or name)</label><input id="k-officer" name="officer" maxlength="64" required>
<label for="k-activity">服务内容 Activity</label><select id="k-activity" name="activity">${acts}</select>
<div class="row"><span></span><button type="submit">报到 Check in</button></div>
<p class="status" id="k-status" role="status" aria-live="polite"></p>
</form></details>`;
}

/** The part of the page that follows the rating (re-sent over the live stream, hub/web/live-routes.ts). */
export function liveSection(p: PublicCompound, x: CompoundPageExtras): string {
  const s = p.stars === null ? null : Math.max(0, Math.min(5, Math.round(p.stars)));
  // Unrated is not five stars: no index is shown, only that the data is not enough yet.
  const head = s === null
    ? `<header class="plaque s-none" data-testid="unrated">
<p class="district">${esc(x.districtName)} · ${esc(p.households)} households 户</p>
<h1>${esc(p.name)}</h1>
<p class="stars" data-testid="stars" data-stars="unrated" aria-label="unrated">暂无评级 Unrated</p>
<p class="muted small">Not enough data to rate this compound yet (no survey, no security device heard, no case in the last year). 更新 updated ${esc(p.updatedMonth)}</p>
</header>`
    : `<header class="plaque s${s}">
<p class="district">${esc(x.districtName)} · ${esc(p.households)} households 户</p>
<h1>${esc(p.name)}</h1>
<p class="stars" data-testid="stars" data-stars="${s}" aria-label="${s} of 5 stars">${starsText(s)}</p>
<p class="index"><span class="label">平安指数 Safety index</span><span data-testid="index" class="num">${esc(p.index.toFixed(1))}</span><span class="of">/ 100</span></p>
<p class="muted small">${s === 5 ? '五星级平安小区 Five-star safe compound' : s === 0 ? '本年度不参评 Not rated this year' : `${s}星级平安小区 ${s}-star compound`} · 更新 updated ${esc(p.updatedMonth)}</p>
<p class="muted small" data-testid="reason">${esc(p.reason)}</p>
</header>`;
  return `${head}
${notices(p)}
${streaks(p)}
${subScores(p)}
${p.unconfirmedAlarms ? `<p class="muted small card" data-testid="pending-alarms">${esc(p.unconfirmedAlarms)} device alarm(s) are waiting for an operator's check; they do not count until confirmed.</p>` : ''}
${checkins(x)}`;
}

/** 一码: the page a resident reaches by scanning the plaque. */
export function compoundPage(p: PublicCompound, x: CompoundPageExtras): string {
  const body = `<main class="narrow">
<div id="live-region" aria-live="polite">
${liveSection(p, x)}
</div>
<p class="muted small live-note"><span id="live" data-testid="live">○</span> 实时更新 This page updates itself when the rating changes.</p>
${forms(p)}
<footer><a href="/map">全市平安地图 City safety map</a> · <a href="/api/compounds/${encodeURIComponent(p.id)}/qr.svg">二维码 QR code</a><br><span class="muted small">This page shows no personal data: cases appear only by category and month.</span></footer>
</main>`;
  return page(`${p.name} · 平安小区 Safe compound`, body, { scripts: ['/web/time.js', '/web/compound.js'], bodyAttrs: `data-compound="${esc(p.id)}"` });
}

export function notFoundPage(id: string): string {
  const body = `<main class="narrow"><header class="plaque s-none"><h1>未找到该小区<br>Compound not found</h1>
<p>No compound has the code <code>${esc(id.slice(0, 64))}</code>. Please check the code printed on the plaque, or find your compound on the city map.</p></header>
<footer><a href="/map">全市平安地图 City safety map</a></footer></main>`;
  return page('未找到 Not found', body);
}
