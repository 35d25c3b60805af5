import type {DeviceHandle} from './device-handle.js';
import {handlePull, handlePush} from './device-ota.js';
import type {Message} from './mqtt/session.js';
import {acceptSet, findProperty} from './sketch.js';

/**
 * What a device does with a message it received, dispatched as `BootNormal::_onMqttMessage` does:
 * broadcasts first, then only topics of its own id — firmware push, reset, config patch, Homie 1.x
 * `$ota`/`$reset`, and `/set` on the sketch's properties. One message at a time (device.ts).
 */
export async function handleMessage(device: DeviceHandle, message: Message, epoch: number): Promise<void> {
  const base = device.generation === 'homie5' ? `${device.prefix}/5/` : `${device.prefix}/`;
  if (!message.topic.startsWith(base)) return;
  const levels = message.topic.slice(base.length).split('/');
  const text = () => message.payload.toString('utf8');
  const push = device.profile.ota === 'push';
  if (levels[0] === '$broadcast' && device.generation !== 'v1') {
    if (push && levels.length !== 2) return; // homie-esp8266 takes exactly $broadcast/<level>
    device.emit('broadcast', {level: levels.slice(1).join('/'), payload: text()});
    return;
  }
  if (levels[0] !== device.id) return;
  const rest = levels.slice(1);
  const path = rest.join('/');
  if (push && rest.length === 4 && path.startsWith('$implementation/ota/firmware/')) {
    await handlePush(device, rest[3]!, message, epoch);
  } else if (push && path === '$implementation/reset') {
    if (text() === 'true') resetToConfigMode(device, `${device.root}/$implementation/reset`, epoch);
  } else if (push && path === '$implementation/config/set') {
    configSet(device, text(), epoch);
  } else if (device.generation === 'v1' && rest.length === 1) {
    if (rest[0] === '$ota' && device.otaEnabled) handlePull(device, text());
    if (rest[0] === '$reset' && text() === 'true') resetToConfigMode(device, `${device.root}/$reset`, epoch);
  } else if (rest.length === 3 && rest[2] === 'set') {
    set(device, rest[0]!, rest[1]!, text(), epoch);
  }
}

function set(device: DeviceHandle, node: string, propertyId: string, payload: string, epoch: number): void {
  const property = findProperty(node, propertyId);
  if (!property || !property.settable) return; // "property not settable"
  const value = acceptSet(property, payload);
  if (value === null) return; // the sketch's handler refused it
  device.storeValue(`${node}/${propertyId}`, value);
  void device.send(device.valueStep(`${node}/${propertyId}`, value), true, epoch);
  device.emit('set', {node, property: propertyId, value});
}

function resetToConfigMode(device: DeviceHandle, topic: string, epoch: number): void {
  // the device overwrites the flag with false, then reboots into configuration mode (an access point)
  void device.send({kind: 'pub', topic, payload: 'false', qos: device.profile.qos, retain: true}, true, epoch).then(() => {
    if (epoch !== device.epoch) return;
    device.restart('reset over MQTT: configuration mode', () => {
      device.setState('config-mode');
      return 'stay-down';
    }, 200);
  });
}

function configSet(device: DeviceHandle, payload: string, epoch: number): void {
  // the patch topic is cleared at once, valid or not
  void device.send({kind: 'pub', topic: `${device.root}/$implementation/config/set`, payload: '', qos: 1, retain: true}, true, epoch);
  let patch: unknown;
  try {
    patch = JSON.parse(payload);
  } catch {
    device.note('configuration not updated: not JSON');
    return;
  }
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return;
  const p = patch as {name?: unknown};
  if (typeof p.name === 'string' && p.name) device.name = p.name.slice(0, 64);
  device.note('configuration updated; rebooting');
  device.later(200, () => device.restart('configuration updated', () => {}), epoch);
}
