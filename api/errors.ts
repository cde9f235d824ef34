import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AlertTransitionError } from '../contracts/index.js';
import { RegistryError, type RegistryErrorCode } from '../store/index.js';

/** An error meant for the API caller: a stable code, an HTTP status and a message. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

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
    if (error instanceof ApiError) return reply.status(error.statusCode).send({ code: error.code, message: error.message });
    if (error instanceof AlertTransitionError) return reply.status(409).send({ code: error.code, message: error.message });
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
