/**
 * A configuration or policy that cannot be used: the run stops (exit code 2) with this message.
 * Problems in governance documents are never errors: they are findings.
 */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly line: number | undefined,
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }

  override toString(): string {
    return `${this.path}${this.line ? `:${this.line}` : ''}: ${this.message}\n  fix: ${this.fix}`;
  }
}

/** A command used wrongly (unknown option, missing argument): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
