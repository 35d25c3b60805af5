/**
 * Firmware versions are not always semver: `1.0`, `v1.2.3`, `1.2.3.4`, `2019.01.05-1`, `1.0.0-beta+exp`
 * all occur. compareVersions orders them the way a person would:
 * - a leading "v" is ignored, and "+build" metadata does not count;
 * - the release part is compared number by number (1.10 > 1.9; 1.0 == 1.0.0);
 * - a pre-release (1.0.0-beta) comes before its release (1.0.0), and pre-releases compare
 *   identifier by identifier, numbers numerically (beta.2 < beta.10);
 * - text that is not a version at all falls back to a natural (numeric-aware) string order.
 * Returns <0, 0 or >0.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return naturalCompare(a, b);
  const length = Math.max(pa.release.length, pb.release.length);
  for (let i = 0; i < length; i++) {
    const d = (pa.release[i] ?? 0) - (pb.release[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (pa.pre.length === 0 || pb.pre.length === 0) return pa.pre.length === pb.pre.length ? 0 : pa.pre.length === 0 ? 1 : -1;
  const preLength = Math.max(pa.pre.length, pb.pre.length);
  for (let i = 0; i < preLength; i++) {
    const x = pa.pre[i];
    const y = pb.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** true when `candidate` is a newer version than `current` */
export function isNewerVersion(candidate: string, current: string): boolean {
  return compareVersions(candidate, current) > 0;
}

interface ParsedVersion {
  readonly release: number[];
  readonly pre: string[];
}

function parseVersion(text: string): ParsedVersion | null {
  const m = /^[vV]?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text.trim());
  if (!m) return null;
  return {release: m[1]!.split('.').map(Number), pre: m[2] ? m[2].split('.') : []};
}

// made on the first comparison, not at import: a collator loads about 3 MB of the locale data built
// into Node, which a homie-ota that never compares two versions need not hold
let collator: Intl.Collator | null = null;

function naturalCompare(a: string, b: string): number {
  collator ??= new Intl.Collator('en', {numeric: true, sensitivity: 'base'});
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
