/**
 * A small INI reader with the behaviour of Python's ConfigParser, which the original homie-ota used:
 * `[section]` headers, `key = value` or `key: value`, full-line `#`/`;` comments, case-insensitive
 * keys, values trimmed, indented lines continuing the previous value. Inline comments are kept as part
 * of the value, as ConfigParser does by default. A section or a key given twice is a problem, as
 * ConfigParser refuses it too (DuplicateSectionError, DuplicateOptionError): silently taking the last
 * one hides a mistake.
 */
export interface IniFile {
  /** section name (lower case) → key (upper case) → value */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** problems found while reading, as "line N: …" */
  readonly problems: readonly string[];
}

export function parseIni(text: string): IniFile {
  const sections = new Map<string, Map<string, string>>();
  const problems: string[] = [];
  let current: Map<string, string> | null = null;
  let currentName = '';
  let lastKey: string | null = null;
  /** where each section and each key (section + key) was first given */
  const firstAt = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (/^\s*([#;].*)?$/.test(raw)) {
      return;
    }
    if (/^\s/.test(raw) && current && lastKey) {
      // continuation line
      current.set(lastKey, `${current.get(lastKey) ?? ''}\n${raw.trim()}`);
      return;
    }
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      const name = header[1]!.trim().toLowerCase();
      const before = firstAt.get(`[${name}]`);
      if (before !== undefined) problems.push(`line ${lineNo}: [${name}] appears a second time (first on line ${before}); put its keys under one [${name}] (the original homie-ota refused this too)`);
      else firstAt.set(`[${name}]`, lineNo);
      currentName = name;
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      lastKey = null;
      return;
    }
    const pair = /^\s*([^=:\s][^=:]*?)\s*[=:]\s*(.*?)\s*$/.exec(raw);
    if (!pair) {
      problems.push(`line ${lineNo}: cannot read "${raw.trim().slice(0, 40)}"; expected KEY = value or [section]`);
      return;
    }
    if (!current) {
      problems.push(`line ${lineNo}: "${pair[1]}" is outside any [section]; put it under [global] or [mqtt]`);
      return;
    }
    lastKey = pair[1]!.toUpperCase();
    const before = firstAt.get(`${currentName}\0${lastKey}`);
    if (before !== undefined) {
      problems.push(`line ${lineNo}: [${currentName}] ${lastKey} is set a second time (first on line ${before}); keep one of them`);
    } else {
      firstAt.set(`${currentName}\0${lastKey}`, lineNo);
    }
    current.set(lastKey, pair[2]!);
  });
  return {sections, problems};
}

/** ConfigParser.getboolean's accepted spellings. */
export function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(v)) return true;
  if (['0', 'no', 'false', 'off'].includes(v)) return false;
  return undefined;
}
