import type {Step} from './generations.js';
import type {DeviceLink} from './link.js';
import type {Pacer} from './pacer.js';

interface Out {
  readonly step: Step;
  readonly epoch: number;
  readonly urgent: boolean;
  readonly resolve: (ok: boolean) => void;
}

/**
 * A device's outgoing packets: written in the device's order, each after a token from the fleet's
 * pacer, and never into a later connection than the one they were queued for (AsyncMqttClient drops
 * its queue on disconnect too). The device keeps at most one request in the pacer at a time, so an
 * urgent packet jumps other devices' traffic but never its own earlier packets.
 */
export class Outbox {
  #queue: Out[] = [];
  #pumping = false;

  constructor(readonly link: DeviceLink, readonly pacer: Pacer, readonly epoch: () => number) {}

  /** Resolves true when the broker acknowledged it (QoS 0: when written), false if it was dropped. */
  send(step: Step, urgent: boolean, epoch: number): Promise<boolean> {
    if (epoch !== this.epoch()) return Promise.resolve(false);
    return new Promise(resolve => {
      this.#queue.push({step, epoch, urgent, resolve});
      if (!this.#pumping) void this.#pump();
    });
  }

  /** The connection is gone: everything queued is dropped. */
  clear(): void {
    for (const out of this.#queue) out.resolve(false);
    this.#queue = [];
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const wait = this.pacer.take(this.#queue[0]!.urgent);
        if (wait) await wait;
        const out = this.#queue.shift();
        if (!out) continue;
        if (out.epoch !== this.epoch()) {
          out.resolve(false);
          continue;
        }
        const {step} = out;
        const done = step.kind === 'pub'
          ? this.link.publish(step.topic, step.payload, step.qos, step.retain)
          : this.link.subscribe(step.filter, step.qos);
        void done.then(out.resolve);
      }
    } finally {
      this.#pumping = false;
    }
  }
}
