/**
 * Typed errors with stable codes. The CLI maps `OpenbookError` to exit code 2 and prints
 * `error: <message>` (no stack unless --debug); the server maps `httpStatus` and `code`
 * to `{"error": {"code", "message"}}`. Catch the class you handle, rethrow the rest.
 */
export class OpenbookError extends Error {
  /** Stable machine-readable code, e.g. "INDEX_FORMAT". */
  readonly code: string;
  /** HTTP status the server answers with. */
  readonly httpStatus: number;

  constructor(code: string, message: string, options?: { cause?: unknown; httpStatus?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = options?.httpStatus ?? 400;
  }
}

/** A user-supplied value is out of range or of the wrong kind ("--k1 must be ≥ 0, got -1"). */
export class InvalidParameterError extends OpenbookError {
  constructor(message: string) {
    super('INVALID_PARAMETER', message, { httpStatus: 400 });
  }
}

/** An input file or line could not be understood; the message names file, line and field. */
export class InputFormatError extends OpenbookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INPUT_FORMAT', message, { ...options, httpStatus: 400 });
  }
}

/**
 * A file exceeded one of the per-file loading budgets (decompressed bytes, parse time, parser
 * heap); the file is skipped with this message, which names the file and the limit
 * ("docs/bomb.docx: skipped: decompresses to more than 256 MiB (limit maxDecompressedBytes)").
 */
export class BudgetExceededError extends OpenbookError {
  /** Which budget: "maxDecompressedBytes", "timeoutMs" or "maxHeapMb". */
  readonly limit: string;
  constructor(
    /** The file, as the run names it. */
    readonly relPath: string,
    /** What it exceeded, e.g. "decompresses to more than 256 MiB". */
    readonly what: string,
    limit: string,
  ) {
    super('BUDGET_EXCEEDED', `${relPath}: skipped: ${what} (limit ${limit})`, { httpStatus: 413 });
    this.limit = limit;
  }
}

/**
 * The index folder cannot be written (EACCES, EROFS, ENOSPC …): the run can commit nothing. The
 * message names the folder and the error ("cannot write the index /x/.openbook (EROFS: read-only
 * file system)"); the last commit is untouched.
 */
export class IndexWriteError extends OpenbookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INDEX_WRITE', message, { ...options, httpStatus: 500 });
  }
}

/** The on-disk index is corrupt, missing a file, or written by a newer format version. */
export class IndexFormatError extends OpenbookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INDEX_FORMAT', message, { ...options, httpStatus: 500 });
  }
}

/** No index exists where one was expected. */
export class IndexNotFoundError extends OpenbookError {
  constructor(dir: string) {
    super('INDEX_NOT_FOUND', `no index at ${dir}; run \`openbook index <path>\` first (or set --index / OPENBOOK_INDEX)`, {
      httpStatus: 404,
    });
  }
}

/** Another process holds the index's writer lock. */
export class IndexLockedError extends OpenbookError {
  constructor(dir: string, holder: string) {
    super('INDEX_LOCKED', `index ${dir} is locked by another writer (${holder}); wait for it to finish`, {
      httpStatus: 409,
    });
  }
}

/** A path or file that does not exist or cannot be read. */
export class NotFoundError extends OpenbookError {
  constructor(message: string) {
    super('NOT_FOUND', message, { httpStatus: 404 });
  }
}

/** A model endpoint lacks a capability a method needs (logprobs, echo scoring, embeddings). */
export class CapabilityError extends OpenbookError {
  constructor(message: string) {
    super('CAPABILITY_MISSING', message, { httpStatus: 501 });
  }
}

/** A model or embedding endpoint failed after retries. */
export class ModelError extends OpenbookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_ERROR', message, { ...options, httpStatus: 502 });
  }
}

/** Vectors of different dimension were mixed. */
export class DimensionMismatchError extends OpenbookError {
  constructor(expected: number, got: number) {
    super(
      'DIMENSION_MISMATCH',
      `query vector has ${got} dimensions but the index was built with ${expected}; embed with the same model or rebuild the index`,
      { httpStatus: 400 },
    );
  }
}
