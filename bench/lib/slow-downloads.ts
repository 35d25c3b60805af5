/**
 * Many ESP8266s pulling an image at Wi-Fi speed: `clients` raw HTTP connections to the OTA endpoint,
 * each reading at most `bytesPerSecond` (the socket is paused when ahead, so the server meets TCP
 * backpressure as it would from a slow device). The server's RSS is sampled every 250 ms.
 */
import net from 'node:net';
import {procStatusMb} from './fleet-start.js';

export interface SlowDownloads {
  readonly completed: number;
  readonly failed: number;
  /** why the first failure failed */
  readonly firstError: string;
  readonly seconds: number;
  readonly peakRssMb: number;
}

function download(port: number, headers: string[], imageBytes: number, bytesPerSecond: number): Promise<string | null> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1');
    const started = performance.now();
    let head = '';
    let body = 0;
    let inBody = false;
    let done = false;
    const finish = (error: string | null) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(60_000, () => finish('no data for 60 s'));
    socket.on('connect', () => socket.write(`GET /ota HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.join('\r\n')}\r\nConnection: close\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      if (!inBody) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.startsWith('HTTP/1.1 200')) return finish(head.split('\r\n')[0] ?? 'no status line');
        inBody = true;
        body = head.length - end - 4;
      } else {
        body += chunk.length;
      }
      const due = ((performance.now() - started) / 1000) * bytesPerSecond;
      if (body > due) {
        socket.pause();
        setTimeout(() => socket.resume(), ((body - due) / bytesPerSecond) * 1000);
      }
    });
    socket.on('end', () => finish(body >= imageBytes ? null : `ended after ${body} of ${imageBytes} bytes`));
    socket.on('error', error => finish(error.message));
  });
}

export async function slowDownloads(pid: number, port: number, options: {clients: number; imageBytes: number; bytesPerSecond: number; headers: string[]}): Promise<SlowDownloads> {
  let peak = procStatusMb(pid, 'VmRSS');
  const sampler = setInterval(() => (peak = Math.max(peak, procStatusMb(pid, 'VmRSS'))), 250);
  const t = performance.now();
  try {
    const results = await Promise.all(Array.from({length: options.clients}, () => download(port, options.headers, options.imageBytes, options.bytesPerSecond)));
    const errors = results.filter((r): r is string => r !== null);
    return {completed: results.length - errors.length, failed: errors.length, firstError: errors[0] ?? '', seconds: (performance.now() - t) / 1000, peakRssMb: peak};
  } finally {
    clearInterval(sampler);
  }
}
