import {optionRows, type CommandFlag} from './args.js';
import {KEYS, type Kind} from './config/schema.js';

/** The placeholder a setting's flag takes in --help, by the setting's kind. */
const PLACEHOLDER: Partial<Record<Kind, string>> = {
  host: 'ADDR', port: 'N', int: 'N', dir: 'DIR', path: 'FILE', file: 'FILE', list: 'P[,P…]', broker: 'URL', string: 'TEXT', size: 'SIZE',
};

/** The flags that set a key of the settings table, in the table's order, with the key's default. */
const SETTING_FLAGS: readonly CommandFlag[] = KEYS.filter(k => k.flag).map(k => ({
  name: k.flag!.slice(2),
  type: k.kind === 'bool' ? 'boolean' : 'string',
  ...(k.kind === 'globs' ? {multiple: true} : {}),
  arg: PLACEHOLDER[k.kind],
  help: `${k.flagHelp ?? k.help}${k.kind !== 'bool' && k.default !== '' ? ` (default ${k.default})` : ''}`,
}));

/** Every flag of the main command: the INI file, the settings' flags, how to run, help and version. */
export const MAIN_FLAGS: readonly CommandFlag[] = [
  {name: 'config', type: 'string', arg: 'FILE', help: 'INI file to read (else $INIFILE, else ./homie-ota.ini, else defaults)'},
  ...SETTING_FLAGS,
  {name: 'readonly', type: 'boolean', help: 'show everything, change nothing (no OTA, no deletes)'},
  {name: 'headless', type: 'boolean', help: 'no dashboard: log lines on stdout (automatic when not on a terminal)'},
  {name: 'demo', type: 'boolean', arg: '[N]', help: 'try it out: embedded broker, N simulated devices (default 12), demo firmware'},
  {name: 'help', type: 'boolean', short: 'h', help: 'show this help'},
  {name: 'version', type: 'boolean', help: 'print the version'},
];

export const MAIN_HELP = `
  OTA firmware server and live inventory for Homie MQTT devices (ESP8266/ESP32).

  Usage
    $ homie-ota [options]              the dashboard (keys: ? for help, q to quit); where a homie-ota
                                       already runs on the firmware folder, its dashboard (attached)
    $ homie-ota attach [URL]           the dashboard of a homie-ota running elsewhere (see homie-ota attach --help)
    $ homie-ota inspect FILE…          show what homie-ota detects in firmware binaries
    $ homie-ota simulate [options]     run simulated Homie devices (see homie-ota simulate --help)

  Options
${optionRows(MAIN_FLAGS, 21)}

  Settings files use the original homie-ota keys ([global] OTA_PORT, [mqtt] MQTT_HOST, …);
  see homie-ota.example.ini and the README. Exit status 2 means a setting is wrong.
`;
