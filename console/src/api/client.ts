/** The API client, typed from the OpenAPI document the API serves (schema.d.ts is generated from it at build
 * time: `make console`), so a route or field the API does not have is a type error here. */
import createClient, { type Middleware } from "openapi-fetch";

import { getApiKey } from "../lib/apiKey";
import { displayBody } from "../lib/elide";
import { recordExchange } from "./exchanges";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type ApiClient = ReturnType<typeof createClient<paths>>;

export interface ApiErrorBody {
  code: string;
  message: string;
  requestId?: string | null;
  details?: unknown;
}

/** The platform's error shape `{"error": {code, message, requestId}}`, or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number | null,
    readonly body: ApiErrorBody,
  ) {
    super(`${body.code}: ${body.message}`);
  }
}

const started = new Map<string, { at: number; body: unknown; method: string; path: string }>();

function apiPath(url: string, baseUrl: string): string {
  const path = url.startsWith(baseUrl) ? url.slice(baseUrl.length - 1) : new URL(url).pathname;
  return path.split("?")[0] ?? path;
}

function loggingMiddleware(baseUrl: string): Middleware {
  return {
    async onRequest({ request, id }) {
      const key = getApiKey();
      if (key) {
        request.headers.set("x-api-key", key);
      }
      const text = request.body ? await request.clone().text() : null;
      started.set(id, {
        at: performance.now(),
        body: displayBody(text),
        method: request.method,
        path: apiPath(request.url, baseUrl) + (new URL(request.url).search || ""),
      });
      return request;
    },
    async onResponse({ response, id }) {
      const start = started.get(id);
      started.delete(id);
      const text = await response.clone().text();
      recordExchange({
        id,
        method: start?.method ?? "?",
        path: start?.path ?? "?",
        requestBody: start?.body ?? null,
        status: response.status,
        responseBody: displayBody(text),
        requestId: response.headers.get("x-amzn-RequestId") ?? requestIdOf(text),
        latencyMs: start ? performance.now() - start.at : 0,
        at: Date.now(),
      });
      return response;
    },
    async onError({ error, id }) {
      const start = started.get(id);
      started.delete(id);
      recordExchange({
        id,
        method: start?.method ?? "?",
        path: start?.path ?? "?",
        requestBody: start?.body ?? null,
        status: null,
        responseBody: { error: { code: "network.error", message: String(error) } },
        requestId: null,
        latencyMs: start ? performance.now() - start.at : 0,
        at: Date.now(),
      });
      return new ApiError(null, { code: "network.error", message: `The API could not be reached: ${String(error)}` });
    },
  };
}

function requestIdOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: { requestId?: string } };
    return body.error?.requestId ?? null;
  } catch {
    return null;
  }
}

export function makeClient(baseUrl: string): ApiClient {
  const client = createClient<paths>({ baseUrl: baseUrl.replace(/\/$/, "") });
  client.use(loggingMiddleware(baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`));
  return client;
}

/** The data of an openapi-fetch result, or an ApiError carrying the API's code and message. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const body = (result.error as { error?: ApiErrorBody } | undefined)?.error;
    throw new ApiError(
      result.response.status,
      body ?? { code: "http.error", message: `HTTP ${result.response.status}` },
    );
  }
  return result.data;
}
