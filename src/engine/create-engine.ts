import type {Config} from '../config/schema.js';
import {Engine, type EngineOptions} from './engine.js';

/** Build the engine with every feature wired in. */
export function createEngine(config: Config, options: EngineOptions = {}): Engine {
  return new Engine(config, options);
}
