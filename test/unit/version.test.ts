import {describe, expect, it} from 'vitest';
import {compareVersions, isNewerVersion} from '../../src/engine/util/version.js';

describe('compareVersions', () => {
  it('orders release numbers numerically, not as strings', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBeGreaterThan(0);
    expect(compareVersions('1.2.3.4', '1.2.3')).toBeGreaterThan(0);
    expect(compareVersions('1.0', '1.0.0')).toBe(0);
    expect(compareVersions('v1.2.3', '1.2.3')).toBe(0);
    expect(compareVersions('2019.01.05', '2018.12.31')).toBeGreaterThan(0);
  });

  it('puts a pre-release before its release and ignores build metadata', () => {
    expect(compareVersions('1.0.0-beta', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0-beta.2', '1.0.0-beta.10')).toBeLessThan(0);
    expect(compareVersions('1.0.0-alpha', '1.0.0-beta')).toBeLessThan(0);
    expect(compareVersions('1.0.0-1', '1.0.0-alpha')).toBeLessThan(0);
    expect(compareVersions('1.0.0+exp', '1.0.0')).toBe(0);
    expect(compareVersions('2019.01.05-1', '2019.01.05-2')).toBeLessThan(0);
  });

  it('falls back to a natural order for text that is not a version', () => {
    expect(compareVersions('build-10', 'build-9')).toBeGreaterThan(0);
    expect(compareVersions('abc', 'abd')).toBeLessThan(0);
    expect(isNewerVersion('1.2.0', '1.1.9')).toBe(true);
    expect(isNewerVersion('1.1.9', '1.1.9')).toBe(false);
  });

  it('sorts a mixed list sensibly', () => {
    const list = ['1.10', '1.2', 'v1.9.1', '1.2.0-rc.1', '1.2.0', '0.9'];
    expect([...list].sort(compareVersions)).toEqual(['0.9', '1.2.0-rc.1', '1.2', '1.2.0', 'v1.9.1', '1.10']);
  });
});
