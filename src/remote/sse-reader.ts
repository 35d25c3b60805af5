import type {Readable} from 'node:stream';

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Server-Sent Events from a response: `event:` and `data:` lines up to a blank line make one event;
 * comment lines (`: keepalive`) only count as a sign of life. Resolves when the stream ends.
 */
export async function readEvents(res: Readable, onEvent: (event: SseEvent) => void, onAlive: () => void): Promise<void> {
  // the pieces of the line not finished yet: a snapshot of megabytes arrives in many chunks, each
  // looked at once and joined once (appending to one string and searching it would copy it every time)
  let pieces: string[] = [];
  let event = 'message';
  let data: string[] = [];
  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) onEvent({event, data: data.join('\n')});
      event = 'message';
      data = [];
    } else if (text.startsWith('event:')) event = text.slice(6).trim();
    else if (text.startsWith('data:')) data.push(text.slice(text.startsWith('data: ') ? 6 : 5));
    // comments and unknown fields: ignored
  };
  res.setEncoding('utf8');
  for await (const chunk of res) {
    onAlive();
    const text = chunk as string;
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      pieces.push(text.slice(start, newline));
      const whole = pieces.length === 1 ? pieces[0]! : pieces.join('');
      pieces = [];
      line(whole.endsWith('\r') ? whole.slice(0, -1) : whole);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    if (start < text.length) pieces.push(text.slice(start));
  }
}
