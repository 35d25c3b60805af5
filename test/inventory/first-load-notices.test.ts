import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {Inventory} from '../../src/engine/inventory/inventory.js';
import {Logger} from '../../src/engine/log.js';

/**
 * While the first load runs, its retained attributes are told with the once-a-second changes (else
 * every device's record is rebuilt for each filter of the load); a device that appears and a live
 * change are still told within 50 ms.
 */
describe('changes told during the first load', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('tells a retained firmware change with the slow changes, a new device and a live change at once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homie-ota-first-load-'));
    cleanups.push(() => fs.rmSync(dir, {recursive: true, force: true}));
    const fast: string[][] = [];
    // a broker that never answers the discovery's SUBSCRIBE: the first load stays running
    const mqtt = {subscribe: () => new Promise<boolean>(() => {}), unsubscribe: async () => true, statusTopic: 'homie-ota/status'};
    const inventory = new Inventory({
      settings: {firmwareRoot: dir, prefixes: ['homie'], readonly: false}, mqtt: mqtt as never, firmware: {list: () => []},
      log: new Logger({debug: false}).child('inventory'), now: Date.now, notice: () => {}, changed: () => {}, devicesChanged: keys => fast.push([...keys]),
    });
    cleanups.push(() => void inventory.stop());
    inventory.connected();
    const retained = {retain: true, qos: 0, dup: false} as const;
    const told = async () => {
      await new Promise(resolve => setTimeout(resolve, 150));
      return fast.splice(0).flat();
    };

    inventory.onMessage('homie/kitchen/$state', Buffer.from('ready'), retained);
    expect(await told()).toEqual(['homie/kitchen']);
    inventory.onMessage('homie/kitchen/$fw/version', Buffer.from('1.0.0'), retained);
    expect(await told()).toEqual([]);
    expect(inventory.get('homie/kitchen')?.fw.version).toBe('1.0.0');
    inventory.onMessage('homie/kitchen/$fw/version', Buffer.from('1.1.0'), {retain: false, qos: 0, dup: false});
    expect(await told()).toEqual(['homie/kitchen']);
  });
});
