/**
 * The start of a publisher script run with `node -e` (a separate process, so its CPU is not counted as
 * the app's): argv [port, count, rate], a raw MQTT 3.1.1 connection `s` and a `packet(type, body)`
 * and `str(text)` helper; the caller appends what it publishes.
 */
export const RAW_MQTT_PRELUDE = `
const net = require('node:net');
const [port, count, rate] = process.argv.slice(1).map(Number);
const s = net.connect(port, '127.0.0.1');
const str = t => { const b = Buffer.from(t); return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]); };
const len = n => { const o = []; do { let x = n % 128; n = Math.floor(n / 128); if (n) x |= 128; o.push(x); } while (n); return Buffer.from(o); };
const packet = (type, body) => Buffer.concat([Buffer.from([type]), len(body.length), body]);
s.write(packet(0x10, Buffer.concat([Buffer.from([0, 4, 77, 81, 84, 84, 4, 2, 0, 60]), str('bench-publisher-' + process.pid)])));
setInterval(() => s.write(Buffer.from([0xc0, 0])), 20000);
`;
