import os from 'node:os';

/** The first non-loopback IPv4 address of this machine, or 127.0.0.1. */
export function lanAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const address of list ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}

/**
 * The address devices must use to reach us: OTA_BASE_URL when it is a full URL, otherwise built from
 * the listen address (0.0.0.0 → this machine's LAN address), port and TLS.
 */
export function publicBaseUrl(options: {baseUrl: string; host: string; port: number; tls: boolean}): string {
  if (/^https?:\/\//i.test(options.baseUrl)) return options.baseUrl.replace(/\/+$/, '');
  const host = options.host === '0.0.0.0' || options.host === '::' || options.host === '' ? lanAddress() : options.host;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return `${options.tls ? 'https' : 'http'}://${shownHost}:${options.port}`;
}
