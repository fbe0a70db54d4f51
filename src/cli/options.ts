import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Checkpoint, parseCheckpoint } from '../audit/entry.js';
import { date } from '../documents/fields.js';
import { UsageError } from '../errors.js';
import { closest } from '../spelling.js';

/** Checks of option values shared by the commands: each failure is a usage error that says what to pass. */

/** Short names people type for a choice (`-f md`), accepted wherever the long one is. */
const ALIASES: Record<string, string> = { md: 'markdown' };

export function choice<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  const name = (allowed.includes(ALIASES[value] as T) ? ALIASES[value] : value) as T;
  if (allowed.includes(name)) return name;
  const suggestion = closest(value, [...allowed]);
  throw new UsageError(
    `--${option} must be one of ${allowed.join(', ')}, not "${value}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
  );
}

/** A calendar date written YYYY-MM-DD; `undefined` stays undefined. */
export function dateOption(option: string, value: string | undefined): string | undefined {
  if (value !== undefined && !date(value))
    throw new UsageError(`--${option} must be a date written YYYY-MM-DD, not "${value}"`);
  return value;
}

export function today(value: string | undefined): string {
  return dateOption('today', value) ?? new Date().toISOString().slice(0, 10);
}

export function checkpointOption(value: string | undefined): Checkpoint | undefined {
  if (value === undefined) return undefined;
  const checkpoint = parseCheckpoint(value);
  if (!checkpoint) {
    throw new UsageError(
      `--checkpoint takes SEQ:HASH (a number, a colon, 64 hex digits), as record and check --record print it; not "${value}"`,
    );
  }
  return checkpoint;
}

type CommandConfig<T> = { args: string[]; options: T; allowPositionals: true; strict: true };

/** A command's arguments: its options (unknown ones are usage errors) and positionals. */
export function parseCommand<const T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
): ReturnType<typeof parseArgs<CommandConfig<T>>> {
  let parsed: ReturnType<typeof parseArgs<CommandConfig<T>>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    // A misspelt option gets the nearest the command knows; main's error boundary says it.
    const typed = /'(--[^'=]+)'/.exec((error as Error).message)?.[1];
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && typed) {
      const near = closest(
        typed,
        Object.keys(options).map((name) => `--${name}`),
      );
      if (near) Object.assign(error as Error, { suggestion: near });
    }
    throw error;
  }
  // `--log ""` (an unset variable in a script) would otherwise mean "no --log": the default, silently.
  for (const [name, value] of Object.entries(parsed.values))
    if ([value].flat().includes('')) throw new UsageError(`--${name} needs a value, not an empty one`);
  return parsed;
}
