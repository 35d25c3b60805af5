import {md5} from './identity.js';
import {esp8266FlashBytes, imageChip} from './markers.js';

/**
 * The device side of a homie-esp8266 (v2.0.0 – v3.0.1, develop) MQTT push OTA, step for step as
 * `BootNormal::__handleOTAUpdates` and `_endOtaUpdate` do it (protocols.md §2.3): checks on the first
 * chunk (403, invalid md5, 304), then 202, raw/base64 detection, `Update.begin`, chunk by chunk
 * writes with `206 done/total`, and `Update.end` (md5, flash size) ending in 200 or 400/500.
 */
export interface PushDevice {
  readonly otaEnabled: boolean;
  /** `$fw/checksum`: MD5 of the running sketch, lowercase */
  readonly runningMd5: string;
  /** bytes `Update.begin` accepts */
  readonly freeSpace: number;
  readonly chip: 'esp8266' | 'esp32';
  /** the exact chip (esp32, esp32s3, …): ESP32 activation refuses an image built for another one */
  readonly variant: string;
  /** real flash chip size in bytes (ESP8266 NEW_FLASH_CONFIG check) */
  readonly flashBytes: number;
  /** bytes per received chunk (AsyncMqttClient hands over about one TCP segment) */
  readonly chunkSize: number;
  /** 1: a 206 after every chunk (v2.0.0 … v3.0.1); 100: the 101st and every 100th (develop) */
  readonly progressEvery: number;
  /** decoded bytes written per second (flash speed, or a slower link) */
  readonly bytesPerSecond: number;
  /** ESP8266 cores ≤ 2.4.2 compare the final MD5 case-sensitively */
  readonly md5CaseSensitive: boolean;
  readonly flashErrorAt?: number;
  readonly dropAt?: number;
  readonly stallAt?: number;
  publishStatus(payload: string): void;
  /** true once the device went away (forced offline, fleet stopping): stop quietly */
  cancelled(): boolean;
}

export type PushOutcome =
  | {readonly kind: 'ignored'}
  | {readonly kind: 'refused'; readonly status: string}
  | {readonly kind: 'failed'; readonly status: string}
  | {readonly kind: 'flashed'; readonly image: Buffer; readonly md5: string}
  /** fault: the connection drops mid-transfer (no status) */
  | {readonly kind: 'dropped'; readonly percent: number}
  /** fault: the device stays connected but goes silent */
  | {readonly kind: 'stalled'; readonly percent: number}
  | {readonly kind: 'cancelled'};

// Updater error codes as Homie maps them in _endOtaUpdate
type UpdateError = 'SIZE' | 'MAGIC_BYTE' | 'NEW_FLASH_CONFIG' | 'MD5' | 'SPACE' | 'WRITE' | 'ACTIVATE';

function statusFor(error: UpdateError, chip: 'esp8266' | 'esp32'): string {
  switch (error) {
    case 'SIZE':
    case 'MAGIC_BYTE':
    case 'NEW_FLASH_CONFIG':
      // ESP32: `#ifdef ESP32 //FIXME` drops the BAD_FIRMWARE label, so these fall through to the MD5 case
      return chip === 'esp32' ? '400 BAD_CHECKSUM' : '400 BAD_FIRMWARE';
    case 'MD5':
      return '400 BAD_CHECKSUM';
    case 'SPACE':
      return '400 NOT_ENOUGH_SPACE';
    case 'WRITE':
      return '500 FLASH_ERROR';
    case 'ACTIVATE':
      // ESP32 UPDATE_ERROR_ACTIVATE (9) has no case of its own: "INTERNAL_ERROR <code>"
      return '500 INTERNAL_ERROR 9';
  }
}

const B64 = new Uint8Array(256).fill(255);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (B64[c.charCodeAt(0)] = i));
const EQ = 0x3d;

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

export async function receivePush(device: PushDevice, md5Level: string, payload: Buffer, total: number): Promise<PushOutcome> {
  if (total === 0) return {kind: 'ignored'}; // "no empty message possible"
  const fail = (error: UpdateError): PushOutcome => {
    const status = statusFor(error, device.chip);
    device.publishStatus(status);
    return {kind: 'failed', status};
  };
  if (!device.otaEnabled) {
    device.publishStatus('403');
    return {kind: 'refused', status: '403'};
  }
  if (!/^[0-9a-fA-F]{32}$/.test(md5Level)) return fail('MD5');
  if (md5Level === device.runningMd5) {
    device.publishStatus('304');
    return {kind: 'refused', status: '304'};
  }
  device.publishStatus('202'); // published before the image is looked at

  const base64 = isBase64(payload, total);
  if (base64 === null) return fail('MAGIC_BYTE');
  let size = base64 ? (total / 4) * 3 : total;
  if (size === 0) return fail('SIZE');
  // ESP32's Updater reports an image larger than the OTA partition as SIZE, ESP8266's as SPACE
  if (size > device.freeSpace) return fail(device.chip === 'esp32' ? 'SIZE' : 'SPACE');
  if (payload.length < total) return fail('SPACE'); // an oversized publish was not kept whole

  let done = 0;
  let validChars = 0;
  let pads = 0;
  let chunkNo = 0;
  const started = Date.now();
  for (let offset = 0; offset < total; offset += device.chunkSize) {
    if (device.cancelled()) return {kind: 'cancelled'};
    const chunk = payload.subarray(offset, Math.min(total, offset + device.chunkSize));
    const last = offset + device.chunkSize >= total;
    let writeLength = chunk.length;
    if (base64) {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i]!;
        if (B64[c]! < 64) validChars++;
        else if (c === EQ) {
          // "=" only in the last two positions
          if (offset + i < total - 2) return fail('MAGIC_BYTE');
          pads++;
        } else {
          return fail('MAGIC_BYTE'); // newline, space, URL-safe - and _, anything else
        }
      }
      writeLength = Math.floor((validChars * 3) / 4) - done;
    }
    chunkNo++;
    const percent = ((done + writeLength) / size) * 100;
    if (device.dropAt !== undefined && percent >= device.dropAt) return {kind: 'dropped', percent: Math.round(percent)};
    if (device.stallAt !== undefined && percent >= device.stallAt) return {kind: 'stalled', percent: Math.round(percent)};
    // the flash breaks once PCT % is written: the progress reaches PCT %, the next write fails
    if (device.flashErrorAt !== undefined && (done / size) * 100 >= device.flashErrorAt) return fail('WRITE');
    // flash at the configured speed: wait until this chunk's bytes are "written"
    const due = started + ((done + writeLength) / device.bytesPerSecond) * 1000;
    const wait = due - Date.now();
    if (wait >= 1) await sleep(wait);
    if (device.cancelled()) return {kind: 'cancelled'};
    done += writeLength;
    if (base64 && last) size -= pads;
    const every = device.progressEvery;
    if (every <= 1 || (chunkNo > 1 && (chunkNo - 1) % every === 0)) device.publishStatus(`206 ${done}/${size}`);
  }
  if (base64 && done !== size) return fail('SIZE');
  if (device.flashErrorAt !== undefined) return fail('WRITE'); // at 100 %: the last write

  const image = base64 ? Buffer.from(payload.toString('latin1'), 'base64') : payload.subarray(0, total);
  const actual = md5(image);
  const refusal = endUpdate(device, md5Level, image, actual);
  if (refusal) return fail(refusal);
  device.publishStatus('200');
  return {kind: 'flashed', image, md5: actual};
}

/** Raw if the first byte is the image magic, base64 if its first two characters decode to it; null: neither. */
function isBase64(payload: Buffer, total: number): boolean | null {
  if (payload[0] === 0xe9) return false;
  if (payload.length >= 2 && B64[payload[0]!]! < 64 && B64[payload[1]!]! < 64 && ((B64[payload[0]!]! << 2) | (B64[payload[1]!]! >> 4)) === 0xe9) {
    return total % 4 === 0 ? true : null;
  }
  return null;
}

/** Update.end(): the MD5 given in the topic, then (ESP8266) the image's flash size against the chip. */
function endUpdate(device: PushDevice, md5Level: string, image: Buffer, actual: string): UpdateError | null {
  const matches = device.md5CaseSensitive ? actual === md5Level : actual === md5Level.toLowerCase();
  if (!matches) return 'MD5';
  if (device.chip === 'esp8266') {
    // unknown size codes read as 0 and pass, as ESP.magicFlashChipSize() does
    const flash = esp8266FlashBytes(image[3]! >> 4);
    if (flash !== undefined && flash > device.flashBytes) return 'NEW_FLASH_CONFIG';
  } else if (imageChip(image) !== device.variant) {
    // esp_ota_set_boot_partition() verifies the image header, chip id included
    return 'ACTIVATE';
  }
  return null;
}
