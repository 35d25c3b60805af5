/**
 * The Homie "Autodetectable Binary Upload" markers (protocols.md §3.1). `Homie_setFirmware()` puts
 * `<left marker><text><right marker>` into the binary. The original matched them with a greedy
 * pattern, so a sketch that carried the markers twice produced a name spanning both copies, NUL bytes
 * included (homie-ota#53). Here each left marker is paired with the *nearest* right marker within the
 * length limit, every candidate is checked, and two different values are an error, not a guess.
 * These are the byte sequences identification looks for; the image builder (src/sim) embeds them.
 */
export const MARKERS = {
  signature: Buffer.from('%HOMIE_ESP8266_FW%', 'latin1'),
  nameLeft: Buffer.from([0xbf, 0x84, 0xe4, 0x13, 0x54]),
  nameRight: Buffer.from([0x93, 0x44, 0x6b, 0xa7, 0x75]),
  versionLeft: Buffer.from([0x6a, 0x3f, 0x3e, 0x0e, 0xe1]),
  versionRight: Buffer.from([0xb0, 0x30, 0x48, 0xd4, 0x1a]),
  brandLeft: Buffer.from([0xfb, 0x2a, 0xf5, 0x68, 0xc0]),
  brandRight: Buffer.from([0x6e, 0x2f, 0x0f, 0xeb, 0x2d]),
} as const;

export const NAME_MAX = 32;
export const VERSION_MAX = 16;
export const BRAND_MAX = 32;

/**
 * Characters allowed in a firmware name or version: safe in a file name and a URL. Names may also
 * hold inner spaces (the original stored "my sensor-1.0.0.bin" as well); versions may not.
 */
const SAFE = /^[A-Za-z0-9._+~-]+$/;
const SAFE_NAME = /^[A-Za-z0-9._+~-](?:[A-Za-z0-9._+~ -]*[A-Za-z0-9._+~-])?$/;

export type MarkerCheck = {ok: true; value: string} | {ok: false; reason: string};

/** Is `text` usable as a firmware name (what = "name") or version? Says why not, for people. */
export function checkIdentifier(text: string, what: 'name' | 'version' | 'brand', max: number): MarkerCheck {
  const shown = JSON.stringify(text.length > 48 ? `${text.slice(0, 48)}…` : text);
  if (text.length === 0) return {ok: false, reason: `the firmware ${what} is empty`};
  if (text.length > max) return {ok: false, reason: `the firmware ${what} ${shown} is ${text.length} characters long; Homie allows at most ${max}`};
  if (text.includes('..') || /[/\\]/.test(text)) return {ok: false, reason: `the firmware ${what} ${shown} contains a path separator or ".."`};
  if (/[\u0000-\u001f\u007f-\uffff]/.test(text)) return {ok: false, reason: `the firmware ${what} ${shown} contains NUL, control or non-ASCII characters`};
  if (!(what === 'version' ? SAFE : SAFE_NAME).test(text)) {
    return {ok: false, reason: `the firmware ${what} ${shown} has characters other than letters, digits and . _ + ~ -${what === 'version' ? '' : ' (and inner spaces)'}`};
  }
  if (/^[.-]/.test(text)) return {ok: false, reason: `the firmware ${what} ${shown} starts with "${text[0]}"`};
  return {ok: true, value: text};
}

export interface MarkerResult {
  /** the value, when exactly one valid value was found */
  readonly value?: string;
  /** why the markers that were found cannot be used */
  readonly problem?: string;
  /** how many marker pairs were found */
  readonly found: number;
}

/** Find `<left>text<right>` pairs; the text between a left marker and its nearest right marker. */
export function findMarked(data: Buffer, left: Buffer, right: Buffer, what: 'name' | 'version' | 'brand', max: number): MarkerResult {
  const values = new Set<string>();
  let problem: string | undefined;
  let found = 0;
  let from = 0;
  for (;;) {
    const start = data.indexOf(left, from);
    if (start < 0) break;
    const textStart = start + left.length;
    from = textStart;
    // look a little past the limit so a too-long value is reported rather than silently skipped
    const window = data.subarray(textStart, Math.min(data.length, textStart + max * 4 + right.length));
    const end = window.indexOf(right);
    if (end < 0) {
      problem ??= `a firmware ${what} marker has no closing marker within ${max} bytes`;
      continue;
    }
    found++;
    const check = checkIdentifier(window.subarray(0, end).toString('latin1'), what, max);
    if (check.ok) values.add(check.value);
    else problem ??= check.reason;
    from = textStart + end + right.length;
  }
  if (values.size > 1) {
    const list = [...values].map(v => `"${v}"`).join(' and ');
    return {found, problem: `the binary carries ${values.size} different firmware ${what}s (${list}): the sketch sets them twice; keep one Homie_setFirmware() call`};
  }
  if (values.size === 1) return {found, value: [...values][0]!};
  return {found, problem};
}

export interface HomieMarkers {
  readonly name?: string;
  readonly version?: string;
  readonly brand?: string;
  /** `%HOMIE_ESP8266_FW%` is present (a homie-esp8266 v2+ build) */
  readonly signature: boolean;
  /** why the name/version markers cannot be used (absent markers are not a problem here) */
  readonly problem?: string;
  /** at least one name or version marker was present */
  readonly present: boolean;
}

export function findHomieMarkers(data: Buffer): HomieMarkers {
  const name = findMarked(data, MARKERS.nameLeft, MARKERS.nameRight, 'name', NAME_MAX);
  const version = findMarked(data, MARKERS.versionLeft, MARKERS.versionRight, 'version', VERSION_MAX);
  const brand = findMarked(data, MARKERS.brandLeft, MARKERS.brandRight, 'brand', BRAND_MAX);
  const signature = data.includes(MARKERS.signature);
  const present = name.found > 0 || version.found > 0;
  let problem = name.problem ?? version.problem;
  if (!problem && present && (!name.value || !version.value)) {
    problem = name.value ? 'the firmware name marker is there but the version marker is missing' : 'the firmware version marker is there but the name marker is missing';
  }
  return {
    ...(name.value && !problem ? {name: name.value} : {}),
    ...(version.value && !problem ? {version: version.value} : {}),
    ...(brand.value ? {brand: brand.value} : {}),
    signature,
    present,
    ...(problem ? {problem} : {}),
  };
}
