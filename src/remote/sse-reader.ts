import type {IncomingMessage} from 'node:http';

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Server-Sent Events from a response: `event:` and `data:` lines up to a blank line make one event;
 * comment lines (`: keepalive`) only count as a sign of life. Resolves when the stream ends.
 */
export async function readEvents(res: IncomingMessage, onEvent: (event: SseEvent) => void, onAlive: () => void): Promise<void> {
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  // where to look for the next line end: a large event arrives in many chunks, scanned once
  let scanned = 0;
  res.setEncoding('utf8');
  for await (const chunk of res) {
    onAlive();
    buffer += chunk as string;
    let newline = buffer.indexOf('\n', scanned);
    while (newline >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (line === '') {
        if (data.length > 0) onEvent({event, data: data.join('\n')});
        event = 'message';
        data = [];
      } else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      // comments and unknown fields: ignored
    }
    scanned = buffer.length;
  }
}
