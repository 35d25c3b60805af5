import {parseBoolean} from './ini.js';
import type {GivenValues} from './sources.js';

/** What the rules between keys look at: the values as read (after the per-key checks) and the broker as chosen. */
export interface RuleInput {
  readonly given: GivenValues;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly endpointAuth: boolean;
  readonly embedded: boolean;
  readonly brokerHost: string;
  readonly brokerPort: number;
  /** from MQTT_USERNAME / MQTT_PASSWORD or the --mqtt URL */
  readonly mqttUsername?: string;
  readonly mqttPassword?: string;
}

/** One rule between keys: the line to show when the settings break it, else null. */
type Rule = (s: RuleInput) => string | null;

/** Both or neither: name the one that is missing. */
const both = (a: string, b: string, why: string): Rule => ({given}) => {
  if (given.isSet(a) === given.isSet(b)) return null;
  const [set, missing] = given.isSet(a) ? [a, b] : [b, a];
  return `${given.where(missing)}: ${set} is set but ${missing} is not; ${why}: set ${missing}, or remove ${set}`;
};

/** Both or neither, said about the one that is set. */
const pairOfFiles = (a: string, b: string, message: string): Rule => ({given}) =>
  given.isSet(a) === given.isSet(b) ? null : `${given.label(given.isSet(a) ? a : b)}: ${message}`;

const wildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';

/** The rules, in the order their lines are shown. */
const RULES: readonly Rule[] = [
  // with only one of them the HTTP server would run open while the user believes it is protected
  both('HTTP_USER', 'HTTP_PASSWORD', 'basic auth needs both (with one alone every route would be open)'),
  pairOfFiles('HTTP_TLS_CERT', 'HTTP_TLS_KEY', 'HTTPS needs both HTTP_TLS_CERT and HTTP_TLS_KEY; set the other one or neither'),
  ({given, endpointAuth}) => endpointAuth && !(given.isSet('HTTP_USER') && given.isSet('HTTP_PASSWORD'))
    ? `${given.label('OTA_ENDPOINT_AUTH')}: asks for basic auth on OTA_ENDPOINT, but HTTP_USER and HTTP_PASSWORD are not both set, so nothing would be asked; set them, or set OTA_ENDPOINT_AUTH = false`
    : null,
  pairOfFiles('MQTT_CERTFILE', 'MQTT_KEYFILE', 'a client certificate needs both MQTT_CERTFILE and MQTT_KEYFILE'),
  // MQTT (3.1.1) allows a user name alone, but never a password without one: it would not be sent
  ({given, mqttUsername, mqttPassword}) => mqttPassword && !mqttUsername
    ? `${given.where('MQTT_USERNAME')}: MQTT_PASSWORD is set but MQTT_USERNAME is not; a broker login needs the user name: set MQTT_USERNAME, or remove MQTT_PASSWORD`
    : null,
  // the embedded broker and the HTTP server cannot share a port ("the port is in use" would name only one)
  s => s.embedded && s.brokerPort !== 0 && s.brokerPort === s.httpPort && (s.brokerHost === s.httpHost || wildcard(s.brokerHost) || wildcard(s.httpHost))
    ? `${s.given.where('MQTT_BROKER_PORT')} and ${s.given.where('OTA_PORT')} are both ${s.brokerPort}: the embedded broker and the HTTP server need a port each; change one of them`
    : null,
];

/** The lines of the settings that break a rule between keys (none when they fit together). */
export function crossKeyProblems(input: RuleInput): string[] {
  return RULES.map(rule => rule(input)).filter(line => line !== null);
}

/** A warning for broker settings that are given but not used because homie-ota runs its embedded broker. */
export function unusedWithEmbedded(given: GivenValues): string | null {
  const unused = ['MQTT_CAFILE', 'MQTT_CERTFILE', 'MQTT_KEYFILE'].filter(key => given.isSet(key));
  if (given.has('MQTT_TLS') && parseBoolean(given.text('MQTT_TLS'))) unused.push('MQTT_TLS');
  if (given.has('MQTT_PORT') && given.text('MQTT_PORT') !== given.text('MQTT_BROKER_PORT')) unused.push('MQTT_PORT');
  if (unused.length === 0) return null;
  return `${unused.join(', ')} ${unused.length === 1 ? 'is' : 'are'} set but not used: homie-ota runs its embedded broker (MQTT_HOST is empty), which has no TLS and listens on MQTT_BROKER_PORT; set MQTT_HOST to use your broker`;
}
