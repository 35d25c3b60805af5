import type {DeviceHandle} from './device-handle.js';
import {driftTemperature} from './sketch.js';

/**
 * What a device does while connected and ready: the sketch's setup() (its values, once per boot),
 * the stats timers of its firmware, the thermometer reporting, and — for a sleepy device — going to
 * sleep after its awake time. Everything is tied to the connection's epoch and stops with it.
 */
export function runSketch(device: DeviceHandle, epoch: number, firstSinceBoot: boolean): void {
  // homie-esp8266 sketches publish their values in setup(), which runs once per boot
  if (firstSinceBoot && device.generation !== 'homie4' && device.generation !== 'homie5') {
    for (const [key, value] of device.values) void device.send(device.valueStep(key, value), false, epoch);
  }
  const scale = device.statsInterval / 60;
  for (const timer of device.profile.stats) {
    device.every(timer.seconds * scale * 1000, () => {
      if (device.state !== 'ready') return; // no stats while an OTA runs (develop: if (_otaOngoing) return)
      for (const step of timer.steps(device.facts(), device.uptime, device.nextSignal())) void device.send(step, false, epoch);
    }, epoch, true);
  }
  device.every(device.statsInterval * 1000, () => {
    if (device.state !== 'ready') return;
    const value = driftTemperature(device.values.get('temperature/degrees') ?? '20', device.env.random);
    device.storeValue('temperature/degrees', value);
    void device.send(device.valueStep('temperature/degrees', value), false, epoch);
  }, epoch, false);
  const sleepy = device.faults.sleepy;
  if (sleepy) device.later(sleepy.awakeSeconds * 1000, () => void sleep(device, epoch, sleepy.sleepSeconds), epoch);
}

/** prepareToSleep(): publish the sleep state, disconnect cleanly once the broker acknowledged it, wake later. */
async function sleep(device: DeviceHandle, epoch: number, seconds: number): Promise<void> {
  if (device.state !== 'ready') return;
  const acked = await device.send(device.profile.sleep(device.root), true, epoch);
  if (!acked || epoch !== device.epoch) return;
  await device.leave().disconnect();
  device.setState('sleeping');
  device.note(`sleeping ${seconds} s`);
  // deep sleep ends in a reset: a fresh boot, uptime from zero
  device.later(seconds * 1000, () => device.boot('wake-up'));
}
