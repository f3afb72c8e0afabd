/**
 * The REST API as the page uses it: JSON in and out, the session's bearer token, and
 * problem+json answers turned into errors that say what the server said.
 */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${title}: ${detail}`);
  }
}

export class Api {
  token: string | undefined;
  /** Called when the server says the session is no longer valid. */
  onUnauthorized: () => void = () => undefined;

  async get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  async post<T>(path: string, body: unknown, idempotencyKey?: string): Promise<T> {
    return this.request<T>('POST', path, body, idempotencyKey);
  }

  async delete(path: string): Promise<void> {
    await this.request('DELETE', path);
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token !== undefined) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['Idempotency-Key'] = idempotencyKey;
    const res = await fetch(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cache: 'no-store',
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const json: unknown = text === '' ? undefined : JSON.parse(text);
    if (!res.ok) {
      const p = (json ?? {}) as { title?: string; detail?: string };
      if (res.status === 401 && this.token !== undefined) this.onUnauthorized();
      throw new ApiProblem(res.status, p.title ?? res.statusText, p.detail ?? `HTTP ${res.status}`);
    }
    return json as T;
  }
}

/** A fresh Idempotency-Key: a retried click is answered, not recorded twice. */
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
