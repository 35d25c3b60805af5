import {describe, expect, it} from 'vitest';
import {Discovery} from '../../src/engine/inventory/discovery.js';
import {Logger} from '../../src/engine/log.js';

/** What discovery asks of the broker, step by step, against a broker that answers at once. */
describe('the discovery steps', () => {
  it('asks for the row attributes one filter at a time after discovery, ends them with one UNSUBSCRIBE, and acknowledges promptly from the start', async () => {
    const calls: string[] = [];
    const mqtt = {
      statusTopic: 'homie-ota/status',
      subscribe: async (filters: Record<string, unknown>) => (calls.push(`sub ${Object.keys(filters).join(' ')}`), true),
      unsubscribe: async (filters: string[]) => (calls.push(`unsub ${filters.length}`), true),
      promptAcks: (on: boolean) => calls.push(`acks ${on}`),
    };
    const host = {knownBases: () => [], topicCount: () => 0, deviceCount: () => 0, changed: () => {}};
    const discovery = new Discovery(mqtt, ['homie'], host, new Logger({debug: false}).child('inventory'), Date.now);
    await discovery.connected();
    expect(calls[0]).toBe('acks true');
    expect(calls[1]).toBe('sub homie/+/$state homie/+/$online homie/+/$homie homie/5/+/$state');
    const rows = calls.slice(2, calls.indexOf('unsub 12'));
    expect(rows).toEqual(['$fw/name', '$fw/version', '$localip', '$nodes', '$stats/signal', '$stats/uptime', '$fwname', '$fwversion', '$signal', '$uptime', '+/$properties', '$description']
      .map(path => (path === '$description' ? 'sub homie/5/+/$description' : `sub homie/+/${path}`)));
    expect(discovery.status.rowsAt).toBeTypeOf('number');
  });
});
