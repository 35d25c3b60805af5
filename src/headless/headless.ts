import type {Engine} from '../engine/engine.js';
import {DeviceChanges} from './device-lines.js';
import {DeviceReport} from './device-report.js';
import {LineWriter} from './line-writer.js';

/**
 * Headless mode (systemd, pipes, `--headless`): the same engine, no Ink at all, lines on stdout for a
 * sysadmin reading the journal: every log line of the engine (a line repeated is counted, not
 * printed again), and a line when a device appears, goes lost, comes back, runs other firmware or
 * leaves — summed up per second when many change at once. Returns a function that stops printing
 * (and prints what is still held).
 */
export function runHeadless(engine: Engine, out: NodeJS.WritableStream = process.stdout): () => void {
  const writer = new LineWriter(out);
  for (const entry of engine.logger.recent()) writer.write(entry.time, entry.level, entry.ns, entry.message);
  const offLog = engine.logger.onEntry(entry => writer.write(entry.time, entry.level, entry.ns, entry.message));

  const devices = new DeviceChanges(engine.inventory.list());
  const report = new DeviceReport(
    line => writer.write(engine.now(), line.level, 'devices', line.text()),
    text => writer.write(engine.now(), 'info', 'devices', text),
    () => ({total: devices.total, online: devices.online}),
  );
  const offDevices = engine.bus.on('devices', keys => report.add(devices.update(keys, key => engine.inventory.get(key), engine.now())));
  return () => {
    offLog();
    offDevices();
    report.flush();
    writer.flush();
  };
}
