// One way to show a time on every page: the city's clock (Asia/Shanghai), labelled, whatever the
// viewer's own time zone. Plain browser JS, loaded before the page's own script.
'use strict';
(function () {
  const fmt = (opts) => new Intl.DateTimeFormat('en-CA', Object.assign({ timeZone: 'Asia/Shanghai', hourCycle: 'h23' }, opts));
  const dt = fmt({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  const hm = fmt({ hour: '2-digit', minute: '2-digit' });
  const hms = fmt({ hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const day = fmt({ year: 'numeric', month: '2-digit', day: '2-digit' });
  const parts = (f, ms) => Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const LABEL = ' (Beijing time)';
  window.ssTime = {
    LABEL,
    /** "2026-12-01 14:05 (Beijing time)"; today's times drop the date: "14:05 (Beijing time)". */
    at(ms) {
      if (ms === null || ms === undefined) return '—';
      const p = parts(dt, ms);
      const sameDay = day.format(new Date(ms)) === day.format(new Date());
      return (sameDay ? '' : p.year + '-' + p.month + '-' + p.day + ' ') + p.hour + ':' + p.minute + LABEL;
    },
    /** "14:05 (Beijing time)" */
    hm(ms) { return hm.format(new Date(ms)) + LABEL; },
    /** "14:05:09 (Beijing time)" */
    hms(ms) { return hms.format(new Date(ms)) + LABEL; },
  };
})();
