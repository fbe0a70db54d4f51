import { Writable } from 'node:stream';
import { getTransformStream } from '@probot/pino';
import pino, { type Logger } from 'pino';

/** The longest log line written; a longer one is replaced by a line that says so (a payload never fits). */
export const MAX_LINE_BYTES = 16 * 1024;
/** The longest string field kept whole in a line (messages, stacks); the rest is cut with a mark. */
const MAX_FIELD = 2_000;
/** Fields that carry what a webhook or GitHub sent (payloads, bodies, headers): never written. */
const UNSAFE = new Set(['payload', 'body', 'event', 'request', 'response', 'headers', 'data', 'rawBody']);

/**
 * The App's logger (pino). One JSON object a line under LOG_FORMAT=json, its level as a word ("warn"), each
 * key once (pino writes a child's `name` beside its parent's; JSON parsers that refuse duplicates then fail),
 * no line over 16 KiB. Webhook payloads and HTTP bodies never reach it: an error is written as its type,
 * message, status and stack only (the webhooks library hangs the whole unsigned payload on its error, and
 * wrote 75 MB of log for one 24 MB body). Otherwise Probot's pretty format.
 */
export async function appLogger(
  { level = 'info', format = 'pretty' }: { level?: string; format?: string },
  out: NodeJS.WritableStream = process.stdout,
): Promise<Logger> {
  const json = format === 'json';
  let target: NodeJS.WritableStream = out;
  if (!json) {
    const pretty = await getTransformStream({ logFormat: 'pretty' });
    pretty.pipe(out);
    target = pretty;
  }
  const sink = new Writable({
    write(chunk, _encoding, done) {
      target.write(`${tidy(String(chunk))}\n`);
      done();
    },
  });
  return pino(
    {
      level,
      name: 'probot',
      serializers: { err: safeError },
      formatters: json ? { level: (label) => ({ level: label }) } : {},
      hooks: {
        // The webhooks library logs each refused webhook as an error carrying its payload; the App's guard
        // logs every refusal at warn with its delivery id and reason (app/index.ts), so that line is dropped.
        logMethod(args, method) {
          const [first, message] = args as unknown[];
          // Probot's request logging (at debug) puts each request's parameters in the line: check run summaries,
          // GraphQL queries, audit entries. The method, path and status in its message are what an operator needs.
          if (typeof message === 'string' && message.startsWith('GitHub request:'))
            return method.call(this, message);
          const status = (first as { status?: number; errors?: { status?: number }[] } | undefined)?.status;
          const inner = (first as { errors?: { status?: number }[] } | undefined)?.errors?.[0]?.status;
          if (first instanceof Error && 'event' in first && refusal(status ?? inner)) return;
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    sink,
  );
}

/** 400 (bad signature, bad JSON), 503 (the queue could not keep the task): answered and logged by the guard. */
const refusal = (status: number | undefined) => status === 400 || status === 503;

/** An error as an operator needs it, without what it carries from the request (payload, body, headers). */
export function safeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: cut(String(error)) };
  const { status, code } = error as { status?: number; code?: string };
  const inner = (error as { errors?: unknown[] }).errors;
  return {
    type: error.name,
    message: cut(error.message),
    ...(status !== undefined ? { status } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(error.stack ? { stack: cut(error.stack) } : {}),
    ...(Array.isArray(inner) && inner.length ? { errors: inner.slice(0, 5).map(safeError) } : {}),
    ...(error.cause ? { cause: safeError(error.cause) } : {}),
  };
}

/**
 * A line as written: parsed (a key written twice keeps its last value), fields that carry payloads removed,
 * long strings cut, and a line still too long replaced by one that says what it was.
 */
function tidy(line: string): string {
  const text = line.trimEnd();
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text.length > 8 * MAX_LINE_BYTES ? '{}' : text);
  } catch {
    return JSON.stringify({ level: 'error', msg: 'a log line that was not JSON was dropped' });
  }
  if (text.length > 8 * MAX_LINE_BYTES)
    return JSON.stringify({ level: 'warn', msg: `a log line of ${text.length} bytes was dropped` });
  const tidied = JSON.stringify(clean(record, 0));
  if (Buffer.byteLength(tidied) <= MAX_LINE_BYTES) return tidied;
  const { level, time, msg, id } = record as Record<string, unknown>;
  return JSON.stringify({ level, time, id, msg: cut(String(msg ?? ''), 500), cut: tidied.length });
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cut(value);
  if (Array.isArray(value)) return depth > 4 ? '[…]' : value.slice(0, 20).map((v) => clean(v, depth + 1));
  if (value && typeof value === 'object') {
    if (depth > 4) return '{…}';
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value))
      if (!UNSAFE.has(key)) out[key] = clean(inner, depth + 1);
    return out;
  }
  return value;
}

const cut = (text: string, max = MAX_FIELD) =>
  text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
