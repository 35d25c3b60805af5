/** The --mqtt flag: a broker URL (mqtt://, mqtts://, with user:password@ if needed) or embedded. */
export type MqttUrl =
  | {embedded: true}
  | {embedded: false; host: string; port: number; tls: boolean; username?: string; password?: string};

export function parseMqttUrl(text: string): MqttUrl | {error: string} {
  if (text.trim().toLowerCase() === 'embedded') return {embedded: true};
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return {error: 'expected mqtt://host[:port], mqtts://host[:port] or embedded'};
  }
  const protocol = url.protocol.replace(':', '');
  if (!['mqtt', 'mqtts', 'tcp', 'ssl'].includes(protocol)) {
    return {error: `unsupported scheme ${protocol}://; use mqtt://, mqtts:// or embedded`};
  }
  const tls = protocol === 'mqtts' || protocol === 'ssl';
  if (!url.hostname) return {error: 'no host name; e.g. mqtt://broker.local:1883'};
  const port = url.port ? Number(url.port) : tls ? 8883 : 1883;
  return {
    embedded: false,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    tls,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}
