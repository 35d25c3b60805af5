import http from 'node:http';
import https from 'node:https';
import type {HttpSettings} from '../../config/schema.js';
import type {Log} from '../log.js';
import {StartupError} from '../util/startup-error.js';
import {readRegularFileSync} from '../util/safe-file.js';
import {sameSecret} from '../util/secret.js';

export interface RequestContext {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly url: URL;
  /** decoded path parameters, already checked for path tricks */
  readonly params: Readonly<Record<string, string>>;
}

export type Handler = (ctx: RequestContext) => void | Promise<void>;

export interface RouteOptions {
  /** require basic auth when HTTP_USER/HTTP_PASSWORD are set (default true) */
  readonly auth?: boolean;
  /** let decoded parameters hold "/" (device keys such as homie%2Fkitchen); "..", "\\" and controls stay refused */
  readonly slashParams?: boolean;
}

/** A route as a feature describes it; the engine's composition registers it. */
export interface RouteDescriptor extends RouteOptions {
  readonly method: string;
  readonly path: string;
  readonly handler: Handler;
}

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: Handler;
  readonly auth: boolean;
  readonly slashParams?: boolean;
}

/** Characters never allowed in a decoded path parameter: separators, NUL and other controls. */
const UNSAFE_PARAM = /[/\\\u0000-\u001f\u007f]/;

/**
 * The HTTP(S) server: a small router with `:param` segments, basic auth (constant time) on management
 * routes, JSON/text helpers, and errors answered instead of thrown. Features describe their routes; the engine registers them.
 */
export class HttpServer {
  readonly #routes: Route[] = [];
  #server: http.Server | https.Server | null = null;
  #sockets = new Set<import('node:net').Socket>();

  constructor(readonly settings: HttpSettings, readonly log: Log) {}

  get tls(): boolean {
    return Boolean(this.settings.tlsCert && this.settings.tlsKey);
  }

  get authEnabled(): boolean {
    return Boolean(this.settings.user && this.settings.password);
  }

  /** The port really bound (differs from the setting when 0 was asked for). */
  get boundPort(): number {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? address.port : this.settings.port;
  }

  /** Every registered route as registered (method, path pattern, auth): the security tests enumerate them. */
  get routes(): ReadonlyArray<{readonly method: string; readonly path: string; readonly auth: boolean}> {
    return this.#routes.map(r => ({method: r.method, path: `/${r.segments.join('/')}`, auth: r.auth}));
  }

  route(method: string, path: string, handler: Handler, options: RouteOptions = {}): void {
    this.#routes.push({method: method.toUpperCase(), segments: splitPath(path), handler, auth: options.auth ?? true, slashParams: options.slashParams});
  }

  /** Register a feature's routes, in their order. */
  register(routes: readonly RouteDescriptor[]): void {
    for (const {method, path, handler, ...options} of routes) this.route(method, path, handler, options);
  }

  async start(): Promise<void> {
    const s = this.settings;
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => void this.#handle(req, res);
    // check for slow senders every 2 s (Node's default, 30 s, let a header trickle hold a socket for up to 40 s)
    const options = {connectionsCheckingInterval: 2000};
    const server = this.tls ? this.#httpsServer(options, listener) : http.createServer(options, listener);
    server.headersTimeout = 10_000;
    server.requestTimeout = 120_000;
    server.keepAliveTimeout = 5_000;
    server.maxHeadersCount = 100;
    server.on('connection', socket => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      this.log.debug(() => `bad request from ${(socket as import('node:net').Socket).remoteAddress ?? '?'}: ${error.code ?? error.message}`);
      if (socket.writable) {
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        // a client that never reads or closes (a slow sender) must not keep the socket: cut it a moment later
        setTimeout(() => socket.destroy(), 1000).unref();
      } else {
        socket.destroy();
      }
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const what = `cannot start the HTTP server on ${s.host}:${s.port}`;
        if (error.code === 'EADDRINUSE') reject(new StartupError(`${what}: the port is in use; set OTA_PORT or pass --http-port`));
        else if (error.code === 'EACCES') reject(new StartupError(`${what}: permission denied; use a port above 1023 (OTA_PORT / --http-port)`));
        else if (error.code === 'EADDRNOTAVAIL') reject(new StartupError(`${what}: no such address on this machine; check OTA_HOST / --http-host`));
        else reject(new StartupError(`${what}: ${error.message}`));
      });
      server.listen(s.port, s.host, () => resolve());
    });
    this.log.info(`${this.tls ? 'HTTPS' : 'HTTP'} server listening on ${s.host}:${this.boundPort}${this.authEnabled ? ' (basic auth on)' : ''}`);
  }

  /** The HTTPS server; a certificate and key that cannot be used stop the start (exit 2) naming both keys. */
  #httpsServer(options: http.ServerOptions, listener: http.RequestListener): https.Server {
    const s = this.settings;
    try {
      // never blocks on a FIFO swapped in since the settings were checked
      return https.createServer({...options, cert: readRegularFileSync(s.tlsCert!, {followLinks: true}), key: readRegularFileSync(s.tlsKey!, {followLinks: true})}, listener);
    } catch (error) {
      const reason = (error as Error).message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '');
      throw new StartupError(`[global] HTTP_TLS_CERT / HTTP_TLS_KEY: cannot use ${s.tlsCert} with ${s.tlsKey} (${reason}); both must be PEM, and the key must be the certificate's`);
    }
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    await new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => {
        for (const socket of this.#sockets) socket.destroy();
        resolve();
      }, 1500).unref();
    });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    if (!target.startsWith('/')) return sendText(res, 400, 'Bad request: absolute URLs are not served here');
    let url: URL;
    try {
      url = new URL(target, 'http://localhost');
    } catch {
      return sendText(res, 400, 'Bad request');
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    // route on the path as sent: WHATWG URL parsing would quietly resolve "%2E%2E" and ".." segments
    const rawPath = target.split(/[?#]/, 1)[0]!;
    let segments: string[];
    try {
      segments = splitPath(rawPath).map(segment => decodeURIComponent(segment));
    } catch {
      return sendText(res, 400, 'Bad request: malformed percent-encoding in the path');
    }
    if (segments.some(segment => segment === '..' || segment === '.')) {
      return sendText(res, 400, 'Bad request: ".." and "." are not allowed in paths');
    }
    let pathMatched = false;
    for (const route of this.#routes) {
      const params = matchRoute(route.segments, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const unsafe = route.slashParams
        ? (value: string) => UNSAFE_PARAM.test(value.replaceAll('/', '')) || value.split('/').some(part => part === '..' || part === '.')
        : (value: string) => UNSAFE_PARAM.test(value) || value === '..' || value === '.';
      if (Object.values(params).some(unsafe)) {
        return sendText(res, 400, 'Bad request: path parameters may not contain slashes, "..", or control characters');
      }
      if (route.auth && this.authEnabled && !this.#authorized(req)) {
        res.setHeader('WWW-Authenticate', 'Basic realm="homie-ota", charset="UTF-8"');
        return sendText(res, 401, 'Access denied');
      }
      try {
        await route.handler({req, res, url, params});
      } catch (error) {
        this.log.error(`${req.method} ${url.pathname}: ${(error as Error).message}`);
        if (!res.headersSent) sendText(res, 500, 'Internal error; see the homie-ota log');
        else res.destroy();
      }
      this.log.debug(() => `${req.method} ${url.pathname} → ${res.statusCode}`);
      return;
    }
    if (pathMatched) {
      res.setHeader('Allow', [...new Set(this.#routes.filter(r => matchRoute(r.segments, segments)).map(r => r.method))].join(', '));
      return sendText(res, 405, 'Method not allowed');
    }
    return sendText(res, 404, 'Not found');
  }

  #authorized(req: http.IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    const given = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    return sameSecret(given, `${this.settings.user}:${this.settings.password}`) && match !== null;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter(segment => segment !== '');
}

function matchRoute(pattern: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = segments[i]!;
    else if (p !== segments[i]) return null;
  }
  return params;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store'});
  res.end(text);
}

export function sendText(res: http.ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  res.writeHead(status, {'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store'});
  res.end(body);
}

/** True when the client asked for JSON (Accept header or ?format=json). */
export function wantsJson(ctx: RequestContext): boolean {
  return ctx.url.searchParams.get('format') === 'json' || /application\/json/i.test(ctx.req.headers.accept ?? '');
}

/** Read a small request body (JSON or form), refusing more than `limit` bytes. */
export async function readBody(req: http.IncomingMessage, limit = 64 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error('request body too large'), {status: 413});
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
