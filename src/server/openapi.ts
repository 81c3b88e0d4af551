/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas in `schemas.ts` with
 * `z.toJSONSchema` (JSON Schema draft 2020-12, which OpenAPI 3.1 uses as is). Nothing here is
 * written by hand except the list of paths and which schema each uses.
 */
import { z } from 'zod';
import * as s from './schemas.js';

type JsonSchema = Record<string, unknown>;

/** JSON Schema of one zod schema, without the `$schema` key (OpenAPI components omit it). */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Query parameters from a strict object schema: one parameter per field, `required` from the schema. */
function queryParameters(schema: z.ZodObject) {
  const json = schemaOf(schema, 'output') as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties).map(([name, prop]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    ...(typeof prop.description === 'string' ? { description: prop.description } : {}),
    schema: prop,
  }));
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: ERROR_TEXT[c] ?? 'error', content: json('Error') }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'invalid parameter or malformed JSON',
  401: 'missing or wrong bearer token',
  403: 'path outside the allowed roots, or a request another web page could have sent (CROSS_ORIGIN_REFUSED: send X-Openbook-Request)',
  404: 'no index yet, or no such document/job',
  413: 'body or file too large',
  415: 'wrong Content-Type or file type',
  429: 'rate limited (see Retry-After)',
  501: 'retriever or method needs a model this server lacks',
};

/** Builds the document; `auth` adds the bearer scheme to every /v1 operation. */
export function buildOpenApi(opts: { version: string; auth: boolean }) {
  const security = opts.auth ? [{ bearer: [] }] : [];
  const common = [401, 429];
  const op = (o: Record<string, unknown>) => ({ ...o, ...(opts.auth ? { security } : {}) });
  return {
    openapi: '3.1.0',
    info: {
      title: 'openbook',
      version: opts.version,
      description:
        'Search and cited answers over an openbook index. Errors are {"error": {"code", "message"}}. ' +
        'A Host other than the server\'s own names is answered 421; a POST needs Content-Type: application/json or X-Openbook-Request: 1 (multipart uploads), and any POST or DELETE with a foreign Origin is 403 unless the origin is in server.corsOrigins.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'OPENBOOK_API_KEY / server.apiKey' } },
      schemas: {
        Error: schemaOf(s.ErrorBody, 'output'),
        Hit: schemaOf(s.HitSchema, 'output'),
        SearchResponse: schemaOf(s.SearchResponse, 'output'),
        AskRequest: schemaOf(s.AskRequest, 'input'),
        AnswerResponse: schemaOf(s.AnswerResponse, 'output'),
        IndexPathsRequest: schemaOf(s.IndexPathsRequest, 'input'),
        Job: schemaOf(s.JobSchema, 'output'),
        DocumentList: schemaOf(s.DocumentList, 'output'),
        DocumentDetail: schemaOf(s.DocumentDetail, 'output'),
        Status: schemaOf(s.StatusResponse, 'output'),
        Health: schemaOf(s.Health, 'output'),
      },
    },
    paths: {
      '/healthz': { get: { summary: 'liveness (no auth)', responses: { 200: { description: 'up', content: json('Health') } } } },
      '/v1/status': { get: op({ summary: 'index counts, active jobs, methods, limits', responses: { 200: { description: 'status', content: json('Status') }, ...errors(...common) } }) },
      '/v1/search': {
        get: op({
          summary: 'ranked passages for a query',
          parameters: queryParameters(s.SearchQuery),
          responses: { 200: { description: 'hits, best first', content: json('SearchResponse') }, ...errors(400, 404, 501, ...common) },
        }),
      },
      '/v1/ask': {
        post: op({
          summary: 'a cited answer; with Accept: text/event-stream, SSE events token, citations, hits, trace, done (or error)',
          requestBody: { required: true, content: json('AskRequest') },
          responses: {
            200: {
              description: 'the answer',
              content: { ...json('AnswerResponse'), 'text/event-stream': { schema: { type: 'string', description: 'event: token {delta} … event: done <AnswerResponse>' } } },
            },
            ...errors(400, 404, 413, 415, 501, ...common),
          },
        }),
      },
      '/v1/documents': {
        get: op({
          summary: 'documents in the index, in index order',
          parameters: queryParameters(s.ListQuery),
          responses: { 200: { description: 'a page of documents', content: json('DocumentList') }, ...errors(400, ...common) },
        }),
        post: op({
          summary: 'upload files (multipart field "files"; needs the header X-Openbook-Request: 1) or index server paths under server.roots (JSON); returns the job',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': { schema: { type: 'object', properties: { files: { type: 'array', items: { type: 'string', format: 'binary' } } }, required: ['files'] } },
              ...json('IndexPathsRequest'),
            },
          },
          responses: { 202: { description: 'job queued', content: json('Job') }, ...errors(400, 403, 404, 413, 415, ...common) },
        }),
      },
      '/v1/documents/{id}': {
        get: op({
          summary: 'one document with its text and chunk offsets',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'the document', content: json('DocumentDetail') }, ...errors(404, ...common) },
        }),
        delete: op({
          summary: 'remove a document (and its uploaded file); returns the job',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 202: { description: 'job queued', content: json('Job') }, ...errors(404, ...common) },
        }),
      },
      '/v1/jobs/{id}': {
        get: op({
          summary: 'a write job: queued, running (with progress), succeeded (with the indexing summary) or failed',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'the job', content: json('Job') }, ...errors(404, ...common) },
        }),
      },
    },
  };
}
