import type {IncomingHttpHeaders} from 'node:http';

/**
 * What an ESP8266httpUpdate or ESP32 HTTPUpdate client tells us about itself in its request headers
 * (protocols.md §2.5–2.6). Every core version is covered: header names are matched case-insensitively
 * (Node lower-cases them) and every header may be missing.
 */
export interface PullClient {
  readonly platform: 'esp8266' | 'esp32' | 'unknown';
  readonly userAgent: string;
  readonly staMac?: string;
  readonly apMac?: string;
  readonly freeSpace?: number;
  readonly sketchSize?: number;
  readonly chipSize?: number;
  readonly sdkVersion?: string;
  /** sketch or spiffs (core ≥ 2.1.0) */
  readonly mode?: string;
  /** lowercase MD5 of the running sketch (ESP8266 core ≥ 2.4.0, newer ESP32) */
  readonly sketchMd5?: string;
  /** upper-case hex SHA-256 of the running partition (ESP32) */
  readonly sketchSha256?: string;
  readonly chipId?: string;
  /** the raw x-…-version header */
  readonly versionHeader?: string;
  readonly version: VersionHeader;
}

/**
 * The x-ESP8266-version header in its known forms:
 * - Homie v1.3–1.5: `<id>=<fwname>=<fwversion>=<target>`
 * - Homie v1.0–1.2: `<id>=<fwname>@<fwversion>` (no target)
 * - an unreleased 2016 build: `<id>=<fwname>@<fwversion>-><target>`
 * - plain sketches: whatever string the sketch passes as its current version
 */
export type VersionHeader =
  | {readonly kind: 'homie'; readonly id: string; readonly fwName: string; readonly fwVersion: string; readonly target?: string}
  | {readonly kind: 'plain'; readonly value: string}
  | {readonly kind: 'none'};

const HEX32 = /^[0-9a-fA-F]{32}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;

export function parseVersionHeader(value: string | undefined): VersionHeader {
  if (value === undefined || value.trim() === '') return {kind: 'none'};
  const text = value.trim();
  const four = text.split('=');
  if (four.length === 4 && four.every(part => part !== '' || part === four[3])) {
    const [id, fwName, fwVersion, target] = four as [string, string, string, string];
    if (id && fwName && fwVersion) return {kind: 'homie', id, fwName, fwVersion, target: target || undefined};
  }
  const eq = text.indexOf('=');
  if (eq > 0 && four.length === 2) {
    const id = text.slice(0, eq);
    const rest = text.slice(eq + 1);
    const arrow = rest.indexOf('->');
    const head = arrow >= 0 ? rest.slice(0, arrow) : rest;
    const at = head.lastIndexOf('@');
    if (at > 0 && at < head.length - 1) {
      return {kind: 'homie', id, fwName: head.slice(0, at), fwVersion: head.slice(at + 1), target: arrow >= 0 ? rest.slice(arrow + 2) || undefined : undefined};
    }
  }
  return {kind: 'plain', value: text};
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined ? undefined : value.trim();
}

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,12}$/.test(text)) return undefined;
  return Number(text);
}

export function parsePullClient(headers: IncomingHttpHeaders): PullClient {
  const userAgent = header(headers, 'user-agent') ?? '';
  const has8266 = Object.keys(headers).some(k => k.startsWith('x-esp8266-'));
  const has32 = Object.keys(headers).some(k => k.startsWith('x-esp32-'));
  const platform = has8266 || /ESP8266-http-Update/i.test(userAgent) ? 'esp8266' : has32 || /ESP32-http-Update/i.test(userAgent) ? 'esp32' : 'unknown';
  const p = platform === 'esp32' ? 'x-esp32-' : 'x-esp8266-';
  const md5 = header(headers, `${p}sketch-md5`);
  const sha = header(headers, `${p}sketch-sha256`);
  const versionHeader = header(headers, `${p}version`);
  return {
    platform,
    userAgent,
    staMac: normaliseMac(header(headers, `${p}sta-mac`)),
    apMac: normaliseMac(header(headers, `${p}ap-mac`)),
    freeSpace: integer(header(headers, `${p}free-space`)),
    sketchSize: integer(header(headers, `${p}sketch-size`)),
    chipSize: integer(header(headers, `${p}chip-size`)),
    sdkVersion: header(headers, `${p}sdk-version`)?.slice(0, 64),
    mode: header(headers, `${p}mode`)?.slice(0, 16),
    sketchMd5: md5 && HEX32.test(md5) ? md5.toLowerCase() : undefined,
    sketchSha256: sha && HEX64.test(sha) ? sha.toUpperCase() : undefined,
    chipId: header(headers, `${p}chip-id`)?.slice(0, 16),
    versionHeader: versionHeader?.slice(0, 200),
    version: parseVersionHeader(versionHeader?.slice(0, 200)),
  };
}

/** `18:fe:34:d4:06:55` / `18FE34D40655` → `18:FE:34:D4:06:55`; anything else → undefined. */
export function normaliseMac(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const hex = value.replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  return hex.toUpperCase().match(/../g)!.join(':');
}
