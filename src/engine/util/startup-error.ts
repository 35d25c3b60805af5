/** homie-ota cannot start as configured: the message says what to change; main exits with `exitCode`. */
export class StartupError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}
