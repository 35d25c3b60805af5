import type {FirmwareRecord} from '../firmware/store.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import type {PublishOutcome} from '../mqtt/client.js';
import type {FirmwareLookup, MqttPublisher} from './ports.js';
import {pushTopic} from './push-status.js';

const STATUS_SUFFIX = '/$implementation/ota/status';

/**
 * The MQTT push of homie-esp8266 ≥ 2.0: the image published (QoS 1, never retained) on
 * $implementation/ota/firmware/<md5>; the device answers on $implementation/ota/status.
 */
export class PushTransport {
  /** broker connections made before each transfer began: a reconnect since explains a stall */
  readonly #connectsAtSend = new Map<string, number>();
  /** jobs whose push or `$ota` left while the connection broke before the broker confirmed it */
  readonly #unconfirmed = new Set<string>();

  constructor(
    private readonly mqtt: MqttPublisher,
    private readonly firmware: FirmwareLookup,
    private readonly settings: {readonly base64: boolean},
  ) {}

  /**
   * The device key of an OTA status message, or null when it is none or cannot be an answer to a
   * push: retained copies are replays (old 200s after restarts), never answers.
   */
  statusDevice(topic: string, retained: boolean): string | null {
    if (!topic.endsWith(STATUS_SUFFIX) || retained) return null;
    return topic.slice(0, -STATUS_SUFFIX.length);
  }

  /** Note the connection count before publishing: a reconnect during the transfer explains a stall. */
  sending(jobId: string): void {
    this.#connectsAtSend.set(jobId, this.mqtt.status.connects);
    this.#unconfirmed.delete(jobId);
  }

  /** The job's push or `$ota` left, and the connection broke before the broker confirmed it. */
  unconfirmed(jobId: string): void {
    this.#unconfirmed.add(jobId);
  }

  /** The broker connection broke since the job's transfer began (it came back, or took an unconfirmed publish with it). */
  brokeSince(jobId: string): boolean {
    return this.#unconfirmed.has(jobId) || this.mqtt.status.connects > (this.#connectsAtSend.get(jobId) ?? Infinity);
  }

  /** Push the image (MD5 checked as it is read); whether it reached the broker, or why it could not be read. */
  async send(device: DeviceRecord, firmware: FirmwareRecord): Promise<{outcome: PublishOutcome} | {error: string}> {
    const read = await this.firmware.readChecked(firmware);
    if (!read.ok) return {error: read.reason};
    const payload = this.settings.base64 ? Buffer.from(read.data.toString('base64'), 'latin1') : read.data;
    return {outcome: await this.mqtt.send(pushTopic(device.prefix, device.id, firmware.md5), payload, {qos: 1, retain: false})};
  }

  forget(jobId: string): void {
    this.#connectsAtSend.delete(jobId);
    this.#unconfirmed.delete(jobId);
  }
}
