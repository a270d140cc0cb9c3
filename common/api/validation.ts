import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Problem } from '../../protocol/validate.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Answer a request whose body, query or params did not match the route's schema. Lets each API
     * keep its own stable code (SS_CASE_INVALID, SS_WEB_REPORT_INVALID, …) and count the refusal.
     */
    invalid?: (reply: FastifyReply, problems: Problem[]) => FastifyReply;
  }
}

const MAX_PROBLEMS = 5;

/** fastify's validation error → the project's problem list (same shape as protocol/validate.ts). */
export function problemsOf(err: FastifyError): Problem[] {
  const where = err.validationContext ?? 'request';
  const out: Problem[] = [];
  for (const v of err.validation ?? []) {
    // additionalProperties is reported twice by TypeBox (once as "schema is false"); keep the readable one.
    if (v.keyword === 'boolean') continue;
    const path = v.instancePath || '/';
    out.push({ path: where === 'body' ? path : `${where}${path === '/' ? '' : path}`, message: v.message ?? 'invalid' });
    if (out.length >= MAX_PROBLEMS) break;
  }
  return out;
}

/**
 * Route schemas validate with TypeBox (the same compiler as the config and event schemas):
 * query strings and params are converted ("50" → 50), bodies are checked as sent, never
 * coerced or stripped. A mismatch answers 400 with the route's own code (config.invalid) or
 * `fallback`; other errors keep fastify's handling. Responses are serialised with JSON.stringify:
 * response schemas document the routes, they must not silently drop fields.
 */
export function installValidation(app: FastifyInstance, fallback: (reply: FastifyReply, problems: Problem[]) => FastifyReply): void {
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (!err.validation) throw err;
    const problems = problemsOf(err);
    return (req.routeOptions.config.invalid ?? fallback)(reply, problems);
  });
}
