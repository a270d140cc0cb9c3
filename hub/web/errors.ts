/** Error codes of the public pages and their small API (stable; the message says what to do). */
export const WEB_ERRORS = {
  SS_WEB_COMPOUND_UNKNOWN: 'no compound with this id is registered; check the code on the plaque or list them with GET /api/compounds',
  SS_WEB_REPORT_INVALID: 'the report does not match {category, text ≤ 500 characters}; fix the listed fields',
  SS_WEB_CHECKIN_INVALID: 'the check-in does not match {officer, activity: mediation|legal-publicity|service}; fix the listed fields',
  SS_WEB_RATE_LIMITED: 'too many reports from this address; wait and try again later',
  SS_WEB_AUTH: 'send a token: Authorization: Bearer <token>',
  SS_WEB_FORBIDDEN: 'this token may not do that; reports are listed with an operator token, check-ins need a department token',
  SS_WEB_SESSION: 'this needs an operator console session; log in at /login with an operator token (safestar hub tokens add operator)',
  SS_WEB_LOGIN_INVALID: 'the token is not an operator token; paste a token issued with safestar hub tokens add operator (or one from SAFESTAR_OPERATOR_TOKENS)',
  SS_WEB_CSRF: 'a console request that changes state must send the x-safestar-csrf header from GET /api/console/session; reload the console',
  SS_WEB_NO_ENGINE: 'this hub runs without the safety-index engine, so the console has no alarms or audit; start it as safestar hub does (productHub)',
  SS_WEB_STREAMS_FULL: 'too many live streams are open on this hub; the page falls back to reloading, try again in a minute',
} as const;

export type WebErrorCode = keyof typeof WEB_ERRORS;

export interface WebErrorBody {
  code: WebErrorCode;
  message: string;
  problems?: { path: string; message: string }[];
}

export function webError(code: WebErrorCode, detail: string, problems?: WebErrorBody['problems']): WebErrorBody {
  return { code, message: `${code}: ${detail}; ${WEB_ERRORS[code]}`, ...(problems ? { problems } : {}) };
}
