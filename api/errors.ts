import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AlertTransitionError } from '../contracts/index.js';
import { AccountError, RegistryError, type AccountErrorCode, type RegistryErrorCode } from '../store/index.js';

/** An error meant for the API caller: a stable code, an HTTP status and a message. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** For 429: when to try again (sent as `Retry-After`). */
    readonly extra: { retryAfterS?: number } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
/** The caller's role may not use this route at all (whatever the object: no scope question arises). */
export const forbidden = () => new ApiError(403, 'forbidden', 'your role may not do this');

const ACCOUNT_STATUS: Record<AccountErrorCode, number> = {
  user_exists: 409,
  user_not_found: 404,
  scope_mismatch: 422,
  scope_not_found: 422,
};

const REGISTRY_STATUS: Record<RegistryErrorCode, number> = {
  parent_not_found: 422,
  region_not_found: 422,
  site_not_found: 422,
  level_mismatch: 422,
  device_exists: 409,
  device_not_found: 404,
};

/**
 * The one place errors become responses: `{ code, message }` with a 4xx for
 * anything the caller can fix, and a bare 500 (details only in the log) otherwise.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const message = error.validation
        .slice(0, 5)
        .map((v) => `${error.validationContext ?? 'request'}${v.instancePath ? v.instancePath.replaceAll('/', '.') : ''}: ${v.message}`)
        .join('; ');
      return reply.status(400).send({ code: 'invalid_request', message });
    }
    if (error instanceof ApiError) {
      if (error.extra.retryAfterS !== undefined) reply.header('retry-after', String(error.extra.retryAfterS));
      return reply.status(error.statusCode).send({ code: error.code, message: error.message });
    }
    if (error instanceof AlertTransitionError) return reply.status(409).send({ code: error.code, message: error.message });
    if (error instanceof AccountError) return reply.status(ACCOUNT_STATUS[error.code]).send({ code: error.code, message: error.message });
    if (error instanceof RegistryError) return reply.status(REGISTRY_STATUS[error.code]).send({ code: error.code, message: error.message });
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return reply.status(500).send({ code: 'internal', message: 'internal error' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: body too large, bad JSON, wrong content type.
      return reply.status(status).send({ code: (error.code ?? 'bad_request').toLowerCase(), message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ code: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}
