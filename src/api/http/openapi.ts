/**
 * Builds the OpenAPI 3.1 document from the route table (the same zod schemas that validate
 * requests). Problem responses every route can produce are added here, not per route.
 */
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem.ts';
import type { Route } from './routes.ts';

export type OpenApiInfo = {
  title: string;
  version: string;
  description?: string;
};

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});

export function buildOpenApiDocument(routes: readonly Route[], info: OpenApiInfo) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  });
}

function operation(route: Route): ZodOpenApiOperationObject {
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    responses[status] = r.schema
      ? {
          description: r.description,
          content: { [r.contentType ?? 'application/json']: { schema: r.schema } },
        }
      : { description: r.description };
  }
  responses['405'] ??= problem('Method not allowed');
  responses['500'] ??= problem('Internal error');
  if (route.request?.query || route.request?.params || route.request?.body) {
    responses['400'] ??= problem('Invalid input');
  }
  if (route.request?.body) {
    responses['413'] ??= problem('Payload too large');
    responses['415'] ??= problem('Unsupported media type');
  }
  if (route.auth) responses['401'] ??= problem('Missing or invalid bearer token');
  const op: ZodOpenApiOperationObject = {
    operationId: route.operationId,
    summary: route.summary,
    responses,
  };
  if (route.tags) op.tags = route.tags;
  if (route.auth) op.security = [{ bearer: [] }];
  if (route.request?.query || route.request?.params) {
    op.requestParams = {};
    if (route.request.query) op.requestParams.query = route.request.query as never;
    if (route.request.params) op.requestParams.path = route.request.params as never;
  }
  if (route.request?.body) {
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: route.request.body } },
    };
  }
  return op;
}
