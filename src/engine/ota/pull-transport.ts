import type {FirmwareRecord} from '../firmware/store.js';
import type {PublishOutcome} from '../mqtt/client.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import type {Job} from './job.js';
import type {MqttPublisher} from './ports.js';
import type {PullJobs} from './pull-endpoint.js';
import type {StepEvent} from './step.js';
import {v1OtaPayload} from './v1-payload.js';

/** What the pull transport needs from the OTA queue. */
export interface PullQueue {
  activeJobFor(deviceKey: string): Job | undefined;
  /** carry an event to an open job (nothing happens to a finished or unknown one) */
  apply(jobId: string, event: StepEvent): void;
}

/**
 * Homie 1.x: `$ota` published with the version to fetch, then the device downloads the image from
 * OTA_ENDPOINT (pull-endpoint.ts), which reports the download here.
 */
export class PullTransport implements PullJobs {
  /** the `$ota` payload sent for each job: the download request must name it */
  readonly #payloads = new Map<string, string>();

  constructor(private readonly mqtt: MqttPublisher, private readonly queue: PullQueue) {}

  /** Publish `$ota`; whether it reached the broker. */
  send(job: Job, device: DeviceRecord, firmware: FirmwareRecord): Promise<PublishOutcome> {
    const payload = v1OtaPayload(firmware.name, firmware.version)!;
    this.#payloads.set(job.id, payload);
    return this.mqtt.send(`${device.prefix}/${device.id}/$ota`, payload, {qos: 1, retain: false});
  }

  forget(jobId: string): void {
    this.#payloads.delete(jobId);
  }

  jobForDownload(deviceKey: string, target: string | undefined): Job | undefined {
    const job = this.queue.activeJobFor(deviceKey);
    if (!job || job.method !== 'v1-ota' || (job.state !== 'sending' && job.state !== 'flashing')) return undefined;
    const payload = this.#payloads.get(job.id) ?? v1OtaPayload(job.firmware.name, job.firmware.version);
    if (target !== undefined && target !== payload && target !== job.firmware.version) return undefined;
    return job;
  }

  transferStarted(jobId: string, total: number): void {
    this.queue.apply(jobId, {kind: 'download', done: 0, total, finished: false});
  }

  transferProgress(jobId: string, done: number, total: number): void {
    this.queue.apply(jobId, {kind: 'download', done, total, finished: false});
  }

  transferEnded(jobId: string, done: number, total: number, error?: string): void {
    this.queue.apply(jobId, {kind: 'download', done, total, finished: !error, ...(error ? {error} : {})});
  }

  refused(jobId: string, reason: string): void {
    this.queue.apply(jobId, {kind: 'end', state: 'failed', note: reason});
  }
}
