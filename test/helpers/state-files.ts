import type {Job} from '../../src/engine/ota/job.js';

/**
 * Oversized state files as a careless or hostile operator leaves them: jobs.json with a large queue
 * (many in the middle of a transfer), inventory.json with more devices than homie-ota keeps.
 */
export function bigJobsFile(options: {finished: number; midTransfer: number; queued?: number; now?: number}): string {
  const now = options.now ?? Date.now();
  const firmware = {name: 'relay', version: '1.1.0', file: 'relay-1.1.0.bin', md5: '0'.repeat(32), size: 300_000, chip: 'esp8266', gzip: false};
  const jobs: Job[] = [];
  let id = 0;
  const job = (state: Job['state'], extra: Partial<Job> = {}): Job => {
    id++;
    const created = now - 3_600_000 + id;
    return {
      id: `j-${id}`, deviceKey: `homie/dev-${id}`, deviceId: `dev-${id}`, firmware, method: 'mqtt-push', state, createdAt: created, updatedAt: created,
      attempt: 1, from: {name: 'relay', version: '1.0.0'},
      timeline: [{time: created, state: 'queued', note: 'MQTT push; the device runs relay 1.0.0'}, {time: created + 1, state}],
      ...extra,
    };
  };
  for (let i = 0; i < options.finished; i++) jobs.push(job('failed', {finishedAt: now - 1000, error: 'progress stalled at 40% for 60 s'}));
  for (let i = 0; i < options.midTransfer; i++) {
    jobs.push(job(i % 2 === 0 ? 'sending' : 'flashing', {sentAt: now - 5000, progress: {done: 1000, total: 300_000, firstAt: now - 5000, lastAt: now - 4000}}));
  }
  for (let i = 0; i < (options.queued ?? 0); i++) jobs.push(job('waiting', {waitingFor: 'the device is lost; starts when it reports ready'}));
  return JSON.stringify({version: 1, nextId: id + 1, jobs, rollouts: [], history: {}});
}

/** inventory.json in homie-ota's format with `devices` Homie 3 devices (one per line, as it writes it). */
export function bigInventoryFile(devices: number): string {
  const lines: string[] = [];
  for (let i = 0; i < devices; i++) {
    lines.push(JSON.stringify({prefix: 'homie', id: `dev-${i}`, v5: false, lastSeen: 1_700_000_000_000, topics: {$homie: '3.0.1', $state: 'ready', '$fw/name': 'relay', '$fw/version': '1.0.0'}}));
  }
  return `{"format":"homie-ota-inventory","version":1,"savedAt":"2026-01-01T00:00:00.000Z","devices":[\n${lines.join(',\n')}\n]}\n`;
}
