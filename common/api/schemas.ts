import Type from 'typebox';

/**
 * Schema pieces every route of the hub and the edge shares (OpenAPI from the route schemas,
 * issue 16). Errors keep one shape on both servers: a stable code, a message that says what to
 * do, and the fields that were wrong.
 */
export const Problem = Type.Object({ path: Type.String(), message: Type.String() });

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'stable error code (SS_…), see the catalogues in the README', examples: ['SS_CASE_INVALID'] }),
    message: Type.String({ description: 'what happened and what to do' }),
    problems: Type.Optional(Type.Array(Problem, { description: 'the fields that did not match the schema' })),
  },
  { description: 'an error with its stable code' },
);

/** `?limit=` of the list routes: the schema bounds it (it used to be clamped by hand in five routes). */
export const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'at most this many rows (1–1000, default 100)' });
export const DEFAULT_LIMIT = 100;

/** Any JSON object: documented loosely where the shape belongs to another module's types. */
export const AnyObject = (description: string) => Type.Object({}, { additionalProperties: true, description });

/** A response that is not JSON (HTML, SVG, Prometheus text): how @fastify/swagger reads `content`. */
export function textResponse(mediaType: string, description: string) {
  return { description, content: { [mediaType]: { schema: Type.String() } } };
}

/** Routes that need `Authorization: Bearer …` declare this, so "Try it out" in /docs sends the token. */
export const BEARER = [{ bearer: [] }];
