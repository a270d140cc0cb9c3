// The summary/description/tags fields of route schemas are typed by @fastify/swagger's augmentation.
import type {} from '@fastify/swagger';
import { Type } from 'typebox';
import { ErrorBody, textResponse } from '../../../common/api/schemas.ts';

/** Route schemas of the console (TypeBox → JSON Schema: fastify validates with them, OpenAPI lists them). */
export const TAG = 'console';

/** One error shape for every API (common/api/schemas.ts). */
export { ErrorBody } from '../../../common/api/schemas.ts';

/** A JSON object whose fields are described in hub/web/README.md (kept open: no field is stripped). */
export const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

export const LoginBody = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 512, pattern: '^\\S+$', description: 'an operator token (safestar hub tokens add operator)' }) },
  { additionalProperties: false },
);

export const SessionReply = Type.Object({
  operator: Type.Boolean(),
  csrf: Type.String({ description: 'send it back in the x-safestar-csrf header on every POST' }),
  expiresAt: Type.Integer({ description: 'ms since the epoch' }),
});

export const LimitQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) });

export const AlarmQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('confirmed'), Type.Literal('dismissed')], { default: 'pending' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

export const CompoundParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }) });

/** Schema for routes that answer HTML, an event stream or a redirect: documented, not JSON-described. */
export const page = (summary: string, description: string, mediaType = 'text/html', tags: string[] = [TAG]) =>
  ({ summary, description, tags, response: { 200: textResponse(mediaType, summary), 303: { description: 'no session: go to /login' }, 401: ErrorBody, 503: ErrorBody } });
