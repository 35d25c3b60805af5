/**
 * The "sketch" every simulated device runs: a switch you can set and a thermometer, the two nodes
 * most Homie examples start from. Values are echoed back on /set as a sketch's input handler does
 * (`setProperty(…).send(value)`), and only values valid for the property's datatype are accepted.
 */
export interface SimProperty {
  readonly id: string;
  readonly name: string;
  readonly datatype: 'boolean' | 'float' | 'integer' | 'string' | 'enum';
  readonly settable: boolean;
  readonly unit?: string;
  readonly format?: string;
}

export interface SimNode {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly properties: readonly SimProperty[];
}

export const SKETCH_NODES: readonly SimNode[] = [
  {id: 'light', name: 'Light', type: 'switch', properties: [{id: 'on', name: 'On', datatype: 'boolean', settable: true}]},
  {id: 'temperature', name: 'Temperature', type: 'temperature', properties: [{id: 'degrees', name: 'Degrees', datatype: 'float', settable: false, unit: '°C'}]},
];

export function findProperty(nodeId: string, propertyId: string): SimProperty | undefined {
  return SKETCH_NODES.find(n => n.id === nodeId)?.properties.find(p => p.id === propertyId);
}

/** The value a sketch keeps after a /set, or null when its handler would refuse the payload. */
export function acceptSet(property: SimProperty, payload: string): string | null {
  switch (property.datatype) {
    case 'boolean':
      return payload === 'true' || payload === 'false' ? payload : null;
    case 'float':
      return /^-?\d+(\.\d+)?$/.test(payload) ? payload : null;
    case 'integer':
      return /^-?\d+$/.test(payload) ? payload : null;
    case 'enum':
      return (property.format ?? '').split(',').includes(payload) ? payload : null;
    default:
      return payload;
  }
}

/** Initial values: the switch off, a room temperature that differs a little per device. */
export function initialValues(random: () => number): Map<string, string> {
  return new Map([
    ['light/on', 'false'],
    ['temperature/degrees', (18 + random() * 6).toFixed(2)],
  ]);
}

/** The thermometer drifts a little between reports. */
export function driftTemperature(current: string, random: () => number): string {
  const value = Number(current) + (random() - 0.5) * 0.4;
  return Math.min(30, Math.max(12, value)).toFixed(2);
}
