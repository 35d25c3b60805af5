/** MQTT topic filter matching (`+` one level, `#` the rest), as a broker does it. */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const f = filter.split('/');
  const t = topic.split('/');
  // a filter starting with a wildcard does not match topics starting with $ (MQTT 3.1.1 §4.7.2)
  if (t[0]!.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Byte length of a topic as it goes on the wire (limits are in bytes). */
export function topicBytes(topic: string): number {
  return Buffer.byteLength(topic, 'utf8');
}
