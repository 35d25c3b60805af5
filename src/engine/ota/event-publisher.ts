/**
 * Job events go out at QoS 0. MQTT.js waits for a full socket to drain with one 'drain' listener per
 * waiting publish, so a burst (thousands of jobs timing out in one second) would pile up thousands of
 * listeners and buffered messages. Here at most `maxInFlight` publishes are outstanding (below Node's
 * warning threshold of 10 listeners); while they are, the newest event of each job waits in its place
 * (an older one of the same job is replaced: only the latest state matters to a subscriber).
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
