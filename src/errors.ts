/**
 * A configuration or policy that cannot be used: the run stops (exit code 2) with this message.
 * Problems in governance documents are never errors: they are findings.
 */
export class ConfigError extends Error {
  /** Further problems in the same file, after this one (the first by line): a file's errors are told at once. */
  others: { line?: number; message: string; fix: string }[] = [];

  constructor(
    readonly path: string,
    readonly line: number | undefined,
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }

  /** One error for every problem of one file, the first by line leading. */
  static all(path: string, problems: { line?: number; message: string; fix: string }[]): ConfigError {
    const [first, ...others] = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const error = new ConfigError(path, first!.line, first!.message, first!.fix);
    error.others = others;
    return error;
  }

  override toString(): string {
    return [this, ...this.others]
      .map((p) => `${this.path}${p.line ? `:${p.line}` : ''}: ${p.message}\n  fix: ${p.fix}`)
      .join('\n');
  }
}

/** A command used wrongly (unknown option, missing argument): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
