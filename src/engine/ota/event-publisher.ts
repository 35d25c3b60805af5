import {isFinal, type Job} from './job.js';
import type {RolloutTrigger} from './types.js';

/** `automatic` and `trigger` of a job event or a job's JSON: whether its rollout was started by a policy, and by what. */
export function autoFields(trigger: RolloutTrigger | undefined): {automatic: boolean; trigger: RolloutTrigger | null} {
  return {automatic: Boolean(trigger), trigger: trigger ?? null};
}

/**
 * Job events go out at QoS 0. A burst (thousands of jobs timing out in one second) must not pile up
 * thousands of publishes behind a slow connection: at most `maxInFlight` publishes are outstanding;
 * while they are, the newest event of each job waits in its place (an older one of the same job is
 * replaced: only the latest state matters to a subscriber).
 */
export type Publish = (topic: string, payload: string) => Promise<unknown>;

export class EventPublisher {
  #inFlight = 0;
  readonly #waiting = new Map<string, {readonly topic: string; readonly payload: string}>();

  constructor(readonly publish: Publish, readonly maxInFlight = 8) {}

  /** events waiting for their turn */
  get waiting(): number {
    return this.#waiting.size;
  }

  send(topic: string, payload: string): void {
    if (this.#inFlight < this.maxInFlight) {
      this.#start(topic, payload);
      return;
    }
    // the newest event of a topic goes to the back of the line, replacing the one waiting
    this.#waiting.delete(topic);
    this.#waiting.set(topic, {topic, payload});
  }

  #start(topic: string, payload: string): void {
    this.#inFlight++;
    const done = () => {
      this.#inFlight--;
      const next = this.#waiting.values().next();
      if (next.done) return;
      this.#waiting.delete(next.value.topic);
      this.#start(next.value.topic, next.value.payload);
    };
    this.publish(topic, payload).then(done, done);
  }
}

/**
 * The OTA queue's events: <MQTT_EVENTS_TOPIC>/jobs/<id> on every state change of a job (progress at
 * most once a second), and <MQTT_EVENTS_TOPIC>/rollouts/<id>.
 */
export class OtaEvents {
  readonly #publisher: EventPublisher;
  readonly #lastEventAt = new Map<string, number>();

  constructor(publish: Publish, private readonly topic: () => string, private readonly now: () => number, private readonly triggerOf: (rolloutId: string) => RolloutTrigger | undefined = () => undefined) {
    this.#publisher = new EventPublisher(publish);
  }

  job(job: Job, stateChanged: boolean): void {
    const now = this.now();
    if (!stateChanged && now - (this.#lastEventAt.get(job.id) ?? 0) < 1000) return;
    this.#lastEventAt.set(job.id, now);
    if (isFinal(job)) this.#lastEventAt.delete(job.id);
    const event = {
      id: job.id, device: job.deviceId, deviceKey: job.deviceKey, firmware: `${job.firmware.name}@${job.firmware.version}`,
      state: job.state, progress: job.progress ? {done: job.progress.done, total: job.progress.total} : null,
      error: job.error ?? null, rollout: job.rolloutId ?? null, ...autoFields(job.rolloutId ? this.triggerOf(job.rolloutId) : undefined),
      time: new Date(now).toISOString(),
    };
    this.#publisher.send(`${this.topic()}/jobs/${job.id}`, JSON.stringify(event));
  }

  rollout(id: string, payload: string): void {
    this.#publisher.send(`${this.topic()}/rollouts/${id}`, payload);
  }

  /** the wall clock jumped: the once-a-second limit starts over */
  clockJumped(): void {
    this.#lastEventAt.clear();
  }
}
