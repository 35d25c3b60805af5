import {describe, expect, it} from 'vitest';
import {Discovery} from '../../src/engine/inventory/discovery.js';
import {Logger} from '../../src/engine/log.js';

/** What discovery asks of the broker, step by step, against a broker that answers at once. */
describe('the discovery steps', () => {
  it('asks for what identifies a device, then the rest of its row and nodes, one filter at a time after discovery, ends each stage with one UNSUBSCRIBE, and acknowledges promptly from the start', async () => {
    const calls: string[] = [];
    const mqtt = {
      statusTopic: 'homie-ota/status',
      subscribe: async (filters: Record<string, unknown>) => (calls.push(`sub ${Object.keys(filters).join(' ')}`), true),
      unsubscribe: async (filters: string[]) => (calls.push(`unsub ${filters.join(' ')}`), true),
      promptAcks: (on: boolean) => calls.push(`acks ${on}`),
    };
    const host = {knownBases: () => [], topicCount: () => 0, deviceCount: () => 0, changed: () => {}};
    const discovery = new Discovery(mqtt, ['homie'], host, new Logger({debug: false}).child('inventory'), Date.now);
    await discovery.connected();
    const rows = ['$fw/name', '$fw/version', '$localip', '$nodes', '$fwname', '$fwversion'].map(path => `homie/+/${path}`).concat('homie/5/+/$description');
    const details = ['$name', '$stats/signal', '$stats/uptime', '$signal', '$uptime', '+/$properties'].map(path => `homie/+/${path}`);
    expect(calls.slice(0, 4 + rows.length + details.length)).toEqual([
      'acks true',
      'sub homie/+/$state homie/+/$online homie/+/$homie homie/5/+/$state',
      ...rows.map(f => `sub ${f}`), `unsub ${rows.join(' ')}`,
      ...details.map(f => `sub ${f}`), `unsub ${details.join(' ')}`,
    ]);
    expect(discovery.status.rowsAt).toBeTypeOf('number');
    expect(discovery.status.detailsAt).toBeGreaterThanOrEqual(discovery.status.rowsAt!);
  });

  it('does not say a stage is in when one of its filters could not be subscribed', async () => {
    const mqtt = {
      statusTopic: 'homie-ota/status',
      subscribe: async (filters: Record<string, unknown>) => !Object.keys(filters).includes('homie/+/$stats/signal'),
      unsubscribe: async () => true,
    };
    const host = {knownBases: () => [], topicCount: () => 0, deviceCount: () => 0, changed: () => {}};
    const discovery = new Discovery(mqtt, ['homie'], host, new Logger({debug: false}).child('inventory'), Date.now);
    await discovery.connected();
    expect(discovery.status.rowsAt).toBeTypeOf('number');
    expect(discovery.status.detailsAt).toBeUndefined();
  });
});
