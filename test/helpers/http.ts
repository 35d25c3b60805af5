import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly raw: Buffer;
}

/**
 * Send bytes exactly as given (no URL normalisation, any header casing, HTTP/1.0) and read the whole
 * response until the server closes or `timeoutMs` passes. status is 0 when nothing came back.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const head = (split >= 0 ? raw.subarray(0, split) : raw).toString('latin1');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({status: Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: split >= 0 ? raw.subarray(split + 4) : Buffer.alloc(0), raw});
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', chunk => chunks.push(chunk));
    socket.on('end', finish);
    socket.on('error', error => (chunks.length > 0 ? finish() : reject(error)));
    socket.write(request);
  });
}

/** A GET with HTTP/1.0 and Connection: close, plus extra header lines. */
export function rawGet(port: number, path: string, headers: Record<string, string> = {}, timeoutMs?: number): Promise<RawResponse> {
  const lines = [`GET ${path} HTTP/1.0`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return rawRequest(port, `${lines.join('\r\n')}\r\n\r\n`, timeoutMs);
}

/** GET a URL and parse the JSON body (typed loosely for assertions). */
export async function getJson(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, init);
  return res.json();
}
