import http from 'node:http';
import https from 'node:https';

/** Where an attached dashboard's service is, and how to log in. */
export interface Target {
  /** e.g. http://127.0.0.1:9080 (no trailing slash) */
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** A request the service could not answer: why, in words, and whether trying again may help. */
export class RemoteError extends Error {
  constructor(message: string, readonly kind: 'auth' | 'unreachable' | 'tls' | 'protocol') {
    super(message);
  }
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

/** A transport failure in words: what happened and what to do. */
export function explain(error: NodeJS.ErrnoException, url: string): RemoteError {
  const code = error.code ?? '';
  if (/wrong version number|packet length too long/i.test(error.message)) {
    return new RemoteError(`TLS problem with ${url}: the service does not answer TLS there; if it serves plain HTTP, attach to http://…`, 'tls');
  }
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(error.message)) {
    const reason = code && code !== 'EPROTO' ? code : error.message.replace(/^.*?error:[0-9A-F]+:[^:]*:[^:]*:([^:]*).*$/s, '$1');
    return new RemoteError(`TLS problem with ${url} (${reason}): check the URL and the service's certificate (HTTP_TLS_CERT); for a self-signed or private one, point NODE_EXTRA_CA_CERTS at it`, 'tls');
  }
  if (code === 'ECONNREFUSED') return new RemoteError(`nothing answers at ${url} (connection refused); is homie-ota running there, on that port?`, 'unreachable');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new RemoteError(`cannot resolve the host of ${url} (${code})`, 'unreachable');
  if (code === 'ECONNRESET' && url.startsWith('http:')) return new RemoteError(`${url} closed the connection (${code}); if the service uses HTTPS, attach to https://…`, 'unreachable');
  return new RemoteError(`cannot reach ${url}: ${error.message}${code ? ` (${code})` : ''}`, 'unreachable');
}

export function authHeader(target: Target): Record<string, string> {
  if (!target.user) return {};
  return {Authorization: `Basic ${Buffer.from(`${target.user}:${target.password ?? ''}`).toString('base64')}`};
}

/** Open a request to the service; the caller reads or streams the response. */
export function open(target: Target, method: string, path: string, headers: Record<string, string>, body?: string): Promise<http.IncomingMessage> {
  const url = new URL(path, `${target.url}/`);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, {method, headers: {...authHeader(target), ...headers, ...(body === undefined ? {} : {'Content-Length': String(Buffer.byteLength(body))})}}, resolve);
    req.setTimeout(15_000, () => req.destroy(Object.assign(new Error('no answer in 15 s'), {code: 'ETIMEDOUT'})));
    req.on('error', error => reject(explain(error as NodeJS.ErrnoException, target.url)));
    req.end(body);
  });
}

/** One JSON request; a 401 is an error (the login is wrong), other statuses are the caller's. */
export async function requestJson(target: Target, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await open(target, method, path, {Accept: 'application/json', ...(body === undefined ? {} : {'Content-Type': 'application/json'})}, body === undefined ? undefined : JSON.stringify(body));
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  if (res.statusCode === 401) throw loginRefused(target);
  const text = Buffer.concat(chunks).toString('utf8');
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // a text answer (the original's routes): kept as text
  }
  return {status: res.statusCode ?? 0, body: parsed};
}

export function loginRefused(target: Target): RemoteError {
  return new RemoteError(target.user
    ? `${target.url} refused the login of ${target.user}; check HOMIE_OTA_PASSWORD (or HTTP_PASSWORD in the ini) and --user`
    : `${target.url} asks for a login; pass --user and set HOMIE_OTA_PASSWORD (or HTTP_USER / HTTP_PASSWORD in the ini)`, 'auth');
}

/** The message of an error answer ({"error": …}, or the text). */
export function answerMessage(answer: Answer): string {
  const body = answer.body as {error?: unknown; message?: unknown} | string | null;
  if (typeof body === 'string') return body.trim();
  if (body && typeof body.error === 'string') return body.error;
  if (body && typeof body.message === 'string') return body.message;
  return `the service answered ${answer.status}`;
}
