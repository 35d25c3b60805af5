/**
 * The Homie device simulator: a fleet of devices that behave like homie-esp8266 v1.5 / v2.0.0 /
 * v2.3 / v3.0.1 firmware, a Homie 4 and a Homie 5 device, for tests, benchmarks, `homie-ota simulate`
 * and `--demo`. See docs/simulator.md for the API.
 */
export {startFleet, parseBrokerUrl, type Fleet, type FleetSummary} from './fleet.js';
export {parseGenerationMix, spreadGenerations, FAITHFUL_LIMIT, type FleetOptions} from './fleet-options.js';
export {SimDevice} from './device.js';
export {splitFw} from './identity.js';
export type {DeviceSpec, DeviceState, DeviceEvents, FirmwareInfo, StatusEntry, HistoryEntry} from './device-types.js';
export {parseFault, parseFaultAssignment, parseRate, describeFaults, FAULT_HELP, type Faults, type FaultAssignment} from './faults.js';
export {GENERATIONS, GENERATION_ALIASES, PROFILES, type Generation} from './generations.js';
export {httpUpdateCheck, buildUpdateRequest, type HttpUpdateParams, type HttpUpdateResult} from './http-update.js';
export {runningImage, SIM_IMAGE_SIZE} from './identity.js';
export {scanImage, imageChip} from './markers.js';
