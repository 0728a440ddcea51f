// Errors the CLI reports as one line, "rseqlab: <message>", exit status 2.

export class CliError extends Error {
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command line itself is wrong. */
export class UsageError extends CliError {}

/** The program file cannot be used (missing, unreadable, not an executable rseqlab runs). */
export class InputError extends CliError {}

/** The CPU (emulator/) is not built or not present. */
export class CpuUnavailableError extends CliError {}
