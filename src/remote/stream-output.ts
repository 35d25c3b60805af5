import type {IncomingMessage, ServerResponse} from 'node:http';
import zlib from 'node:zlib';

/** Where a stream client's events are written: the response itself, or gzip in front of it. */
export interface StreamOutput {
  write(text: string): void;
  /** bytes written and not yet handed to the kernel (gzip's buffers included) */
  readonly buffered: number;
  /** called when a buffer on the way empties */
  onDrain(listener: () => void): void;
  end(): void;
  readonly ended: boolean;
}

/**
 * Start the event stream's response. A client that accepts gzip (an attached dashboard on another
 * host: a 5,000-device snapshot is about 2 MB of JSON, a fifth of that compressed) gets it, flushed
 * after every event so nothing waits in the compressor.
 */
export function openOutput(req: IncomingMessage, res: ServerResponse): StreamOutput {
  const gzip = /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''));
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no',
    ...(gzip ? {'Content-Encoding': 'gzip', Vary: 'Accept-Encoding'} : {}),
  });
  res.socket?.setNoDelay(true);
  if (!gzip) {
    return {
      write: text => void res.write(text),
      get buffered() {
        return res.writableLength;
      },
      onDrain: listener => void res.on('drain', listener),
      end: () => res.end(),
      get ended() {
        return res.writableEnded;
      },
    };
  }
  const compressor = zlib.createGzip();
  compressor.pipe(res);
  res.on('close', () => compressor.destroy());
  return {
    write(text) {
      compressor.write(text);
      compressor.flush(zlib.constants.Z_SYNC_FLUSH);
    },
    get buffered() {
      return compressor.writableLength + compressor.readableLength + res.writableLength;
    },
    onDrain(listener) {
      res.on('drain', listener);
      compressor.on('drain', listener);
    },
    end: () => compressor.end(),
    get ended() {
      return compressor.writableEnded || res.writableEnded;
    },
  };
}
