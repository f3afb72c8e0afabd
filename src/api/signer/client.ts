/**
 * The coordinator's client for one signer: signs each request with the coordinator identity
 * (audience = that signer), and accepts an answer only with a valid signature from the signer's
 * identity key over (the hash of the request it sent, status, body). A problem+json answer
 * becomes a SignerError; an unsigned one (the signer could not verify the request) is not
 * believed and becomes an AuthenticationFailedError.
 */
import http from 'node:http';
import { requestHash, signRequest } from '../../custody/auth/request.ts';
import { RESPONSE_SIGNATURE_HEADER, verifyResponse } from '../../custody/auth/response.ts';
import type { IdentityKey } from '../../custody/identity.ts';
import { CustodyError } from '../../shared/errors.ts';

export class SignerError extends CustodyError {
  readonly signer: string;
  readonly problem: Record<string, unknown>;
  constructor(signer: string, status: number, problem: Record<string, unknown>) {
    super(
      'signer-error',
      status,
      String(problem.title ?? 'Signer error'),
      `signer ${signer}: ${String(problem.detail ?? status)}`,
      {
        signer,
        problemType: problem.type,
      },
    );
    this.signer = signer;
    this.problem = problem;
  }
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Uint8Array;
}

/** A request as it was sent: what its answer's signature is checked against. */
export interface SentRequest {
  method: string;
  path: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

export interface SignerClientOpts {
  url: string;
  identityKey: string;
  coordinator: IdentityKey;
  timeoutMs?: number;
}

export class SignerClient {
  private readonly agent = new http.Agent({ keepAlive: true });
  constructor(private readonly opts: SignerClientOpts) {}

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  get identityKey(): string {
    return this.opts.identityKey;
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, new TextEncoder().encode(JSON.stringify(body)));
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path, new Uint8Array(0));
  }

  /**
   * Sends exactly these headers and body (tests use it to replay a captured request) and
   * returns the answer as a fetch Response.
   */
  async send(
    method: string,
    path: string,
    body: Uint8Array,
    headers: Record<string, string>,
  ): Promise<Response> {
    const raw = await this.exchange(method, path, body, headers);
    const h = new Headers();
    for (const [k, v] of Object.entries(raw.headers)) if (typeof v === 'string') h.set(k, v);
    return new Response(raw.body, { status: raw.status, headers: h });
  }

  /**
   * Plain node:http with a keep-alive agent: measured here at about 1.5 ms per loopback call
   * where fetch (undici) took 9 ms. The answer stays raw bytes (no fetch Response, ~40 µs).
   */
  private exchange(
    method: string,
    path: string,
    body: Uint8Array,
    headers: Record<string, string>,
  ): Promise<RawAnswer> {
    const url = new URL(path, this.opts.url);
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: this.opts.timeoutMs ?? 30_000,
          headers: {
            ...headers,
            'content-length': String(body.length),
            ...(body.length > 0 ? { 'content-type': 'application/json' } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
            resolve({
              status: res.statusCode ?? 500,
              headers: res.headers,
              body: new Uint8Array(all.buffer, all.byteOffset, all.length),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`signer ${this.opts.url} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  signHeaders(method: string, path: string, body: Uint8Array): Record<string, string> {
    return signRequest({
      identity: this.opts.coordinator,
      method,
      path,
      body,
      audience: this.opts.identityKey,
    });
  }

  async call<T>(method: string, path: string, body: Uint8Array): Promise<T> {
    const headers = this.signHeaders(method, path, body);
    const raw = await this.exchange(method, path, body, headers);
    const signature = raw.headers[RESPONSE_SIGNATURE_HEADER];
    return this.verified<T>(
      raw.status,
      raw.body,
      typeof signature === 'string' ? signature : null,
      this.hashOf({ method, path, body, headers }),
    );
  }

  /** Accepts `res` as the answer to the request that was `sent` (tests replay and tamper). */
  async accept<T>(res: Response, sent: SentRequest): Promise<T> {
    const bytes = new Uint8Array(await res.arrayBuffer());
    return this.verified<T>(
      res.status,
      bytes,
      res.headers.get(RESPONSE_SIGNATURE_HEADER),
      this.hashOf(sent),
    );
  }

  private hashOf(sent: SentRequest): string {
    return requestHash(
      { method: sent.method, path: sent.path, body: sent.body, audience: this.opts.identityKey },
      sent.headers,
    );
  }

  /** Accepts the answer only with the signer's valid signature over (request id, status, body). */
  private verified<T>(
    status: number,
    bytes: Uint8Array,
    signature: string | null,
    requestHash: string,
  ): T {
    verifyResponse(this.opts.identityKey, { requestHash, status, body: bytes }, signature);
    const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (status < 200 || status > 299) throw new SignerError(this.opts.url, status, json);
    return json as T;
  }
}
