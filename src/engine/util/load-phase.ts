/** The inventory's load from the broker runs (a DiscoveryStatus phase): attributes a device lacks may yet come. */
export function loadRunning(phase: string): boolean {
  return phase === 'discovering' || phase === 'loading' || phase === 'verifying';
}
