import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';
import {ptyContext, spawnCli, type PtyApp} from '../helpers/pty.js';
import {freePort} from '../helpers/ports.js';
import {waitFor} from '../helpers/wait-for.js';

const context = ptyContext();

/** A LAN address as long as real ones get: the URL a user types into a device. */
const OTA_BASE = 'http://homie-ota.workshop.example.lan:19080';

/** The built CLI at 80×24 on free ports, its OTA URL set to a long LAN address, a firmware folder with a long path. */
async function start(): Promise<{app: PtyApp; brokerPort: number; root: string}> {
  const dir = context.dir;
  const brokerPort = await freePort();
  const root = path.join(dir, 'firmware-images-for-the-workshop');
  fs.mkdirSync(root, {recursive: true});
  fs.writeFileSync(path.join(root, 'relay-1.0.0.bin'), buildFirmwareImage({name: 'relay', version: '1.0.0'}));
  fs.writeFileSync(path.join(dir, 'homie-ota.ini'), `[global]\nOTA_BASE_URL = ${OTA_BASE}\n`);
  const app = spawnCli(['--broker-port', String(brokerPort), '--http-port', String(await freePort()), '--firmware-dir', root], {cwd: dir, cols: 80, rows: 24});
  context.app = app;
  await app.waitForText(/MQTT ● connected/);
  return {app, brokerPort, root};
}

async function publish(port: number, devices: Array<{id: string; name: string; ip: string}>): Promise<void> {
  const publisher = await RawPublisher.connect(port);
  for (const d of devices) {
    for (const [topic, payload] of deviceTopics('v3', 'homie', d.id, {name: d.name, ip: d.ip, fw: 'relay', version: '1.0.0'})) await publisher.publish(topic, payload);
  }
  await publisher.close();
}

const footer = (screen: string[]) => screen[22] ?? '';

describe('the dashboard at 80×24, in a real terminal', () => {
  it('shows the whole OTA URL, ends every footer with "? help  q quit", and the drop folder and curl command whole', async () => {
    const {app, root} = await start();
    const header = app.screen()[0]!;
    expect(header).toContain(`OTA ${OTA_BASE}/ota`);
    expect(header).toMatch(/^homie-ota {2}MQTT ● connected/);
    for (const view of ['1', '2', '3', '4']) {
      app.press(view);
      await waitFor(() => app.styled(1).inverse.includes(` ${view} `) && /\S {2}\? help {2}q quit$/.test(footer(app.screen())), `view ${view} active, its keys in the footer`, 10_000);
      const screen = app.screen();
      expect(footer(screen), `view ${view}`).toMatch(/^\S.* {2}\? help {2}q quit$/);
      expect(screen[0]).toContain(`${OTA_BASE}/ota`);
    }
    app.press('2');
    const firmware = await app.waitForText('firmware files');
    // wrapped where it must be, never cut: joined, the lines hold the path and the command
    const joined = firmware.split('\n').map(line => line.trim()).join('');
    expect(joined).toContain(`drop .bin files into ${root}`);
    expect(joined).toContain(`upload: curl -F upload=@x.bin ${OTA_BASE}/upload`);
    expect(firmware).not.toMatch(/…\n/);
    app.press('q');
    expect(await app.exitCode).toBe(0);
  });

  it('gives the ID column room first and keeps rows aligned in terminal cells with CJK, emoji and zero-width names', async () => {
    const {app, brokerPort} = await start();
    await publish(brokerPort, [
      {id: 'kitchen-light-over-sink', name: 'Kitchen light', ip: '10.0.0.1'},
      {id: '厨房灯', name: '厨房的灯 Küche', ip: '10.0.0.2'},
      {id: 'heater-🔥', name: '🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥', ip: '10.0.0.3'},
      {id: 'zw\u200bplug', name: 'zero\u200b\u200b\u200bwidth', ip: '10.0.0.4'},
    ]);
    const screen = (await app.waitForText(/(10\.0\.0\.\d[\s\S]*){4}/)).split('\n');
    const rowOf = (text: string) => screen.findIndex(line => line.includes(text));
    const rows = ['kitchen-light-over-sink', '厨房灯', 'heater-🔥', 'zw\\x200bplug'].map(rowOf);
    expect(rows.every(y => y > 0), screen.join('\n')).toBe(true);
    // the IP column starts in the same cell on every row, and every row still ends with its Homie version
    const ipCells = rows.map((y, i) => app.cellOf(y, `10.0.0.${i + 1}`));
    expect(new Set(ipCells).size, screen.join('\n')).toBe(1);
    for (const y of rows) expect(screen[y]).toMatch(/3\.0\.1\s*$/);
    // the longest ID is whole, and the IP column is no wider than its longest address
    expect(screen[rows[0]!]).toMatch(/kitchen-light-over-sink 10\.0\.0\.1 /);
    // no half emoji anywhere, the invisible separator shown as an escape
    expect(screen.join('\n')).not.toContain('\uFFFD');
    expect(screen[rows[3]!]).toContain('zw\\x200bplug');
    app.press('q');
    expect(await app.exitCode).toBe(0);
  });
});
