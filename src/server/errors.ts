/**
 * The HTTP-only failures of the server, as typed errors with stable codes. Every error a client
 * sees is JSON `{"error": {"code", "message"}}` with the `httpStatus` below; the library's own
 * errors (`core/errors`) carry their status already. Nothing here ever sends a stack trace.
 */
import { OpenbookError } from '../core/errors.js';

/** Missing or wrong `Authorization: Bearer <key>` (401). */
export class UnauthorizedError extends OpenbookError {
  constructor(message: string) {
    super('UNAUTHORIZED', message, { httpStatus: 401 });
  }
}

/** A request or upload body larger than the configured limit (413). */
export class PayloadTooLargeError extends OpenbookError {
  constructor(what: string, limitBytes: number) {
    super('PAYLOAD_TOO_LARGE', `${what} is larger than the limit of ${limitBytes} bytes`, { httpStatus: 413 });
  }
}

/** A body of a type the endpoint does not take, or an upload whose bytes do not match its extension (415). */
export class UnsupportedMediaTypeError extends OpenbookError {
  constructor(message: string) {
    super('UNSUPPORTED_MEDIA_TYPE', message, { httpStatus: 415 });
  }
}

/** Too many requests from one client in the current window (429); `retryAfterSeconds` goes to `Retry-After`. */
export class RateLimitedError extends OpenbookError {
  constructor(readonly retryAfterSeconds: number, limitPerMinute: number) {
    super('RATE_LIMITED', `more than ${limitPerMinute} requests per minute from this client; retry in ${retryAfterSeconds} s`, { httpStatus: 429 });
  }
}

/** A server-side path outside the configured roots (after resolving `..` and symlinks) (403). */
export class ForbiddenPathError extends OpenbookError {
  constructor(requested: string) {
    super('FORBIDDEN_PATH', `path ${JSON.stringify(requested)} is outside the server's allowed roots (see server.roots)`, { httpStatus: 403 });
  }
}

/** The request body is not valid JSON (400). */
export class MalformedJsonError extends OpenbookError {
  constructor(detail: string) {
    super('MALFORMED_JSON', `request body is not valid JSON: ${detail}`, { httpStatus: 400 });
  }
}

/** Refusing to start: a non-loopback bind without an API key. */
export class InsecureBindError extends OpenbookError {
  constructor(host: string) {
    super(
      'INSECURE_BIND',
      `refusing to listen on ${host} without an API key: anyone on the network could read and change the index. ` +
        `Set OPENBOOK_API_KEY (or server.apiKey in openbook.config.json), or bind to 127.0.0.1`,
      { httpStatus: 500 },
    );
  }
}

/** A request whose `Host` is not one of the server's names (421): what a DNS-rebinding page sends. */
export class HostNotAllowedError extends OpenbookError {
  constructor(host: string) {
    super(
      'HOST_NOT_ALLOWED',
      `this server does not answer to Host ${JSON.stringify(host)}; use its address, localhost, 127.0.0.1 or [::1], or add the name to server.allowedHosts`,
      { httpStatus: 421 },
    );
  }
}

/** A state-changing request another web page could have sent (403): a foreign `Origin`, or a simple request without the marker header. */
export class CrossOriginRefusedError extends OpenbookError {
  constructor(message: string) {
    super('CROSS_ORIGIN_REFUSED', message, { httpStatus: 403 });
  }
}

/** A server write job waited its whole budget for another process's writer lock (409). */
export class WriterBusyError extends OpenbookError {
  constructor(waitedMs: number) {
    super(
      'INDEX_LOCKED',
      `another process (an \`openbook index\` run?) held the index's writer lock for the whole ${(waitedMs / 1000).toFixed(1)} s this job may wait; submit it again when that run has finished`,
      { httpStatus: 409 },
    );
  }
}

/** An upload whose file name another upload holds already, without `?replace=true` (409). */
export class DocumentExistsError extends OpenbookError {
  constructor(name: string, id: string) {
    super('DOCUMENT_EXISTS', `an upload named ${name} exists already (document ${id}); upload it with ?replace=true to replace it, or pick another name`, { httpStatus: 409 });
  }
}
