/**
 * One shutdown path. Cleanup steps run once, in reverse registration order, each guarded; a hard
 * timer forces the exit if a step hangs.
 */
export class Shutdown {
  readonly #steps: Array<{name: string; run: () => void | Promise<void>}> = [];
  #running: Promise<never> | null = null;

  constructor(readonly exit: (code: number) => never = code => process.exit(code), readonly timeoutMs = 8000) {}

  add(name: string, run: () => void | Promise<void>): void {
    this.#steps.push({name, run});
  }

  get started(): boolean {
    return this.#running !== null;
  }

  run(code: number, reason?: string): Promise<never> {
    this.#running ??= (async () => {
      const timer = setTimeout(() => {
        process.stderr.write(`homie-ota: shutdown took longer than ${this.timeoutMs / 1000} s${reason ? ` (${reason})` : ''}; exiting anyway\n`);
        this.exit(code === 0 ? 1 : code);
      }, this.timeoutMs);
      timer.unref();
      for (const step of [...this.#steps].reverse()) {
        try {
          await step.run();
        } catch (error) {
          process.stderr.write(`homie-ota: ${step.name} failed during shutdown: ${(error as Error).message}\n`);
        }
      }
      return this.exit(code);
    })();
    return this.#running;
  }
}
