/** Defensive readers for untrusted parsed data: a value of the wrong type reads as absent. */

export type Json = Record<string, unknown>;

export function record(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function texts(value: unknown): string[] {
  if (typeof value === 'string') return text(value) ? [value] : [];
  return list(value).filter((v): v is string => text(v) !== undefined);
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return allowed.includes(value as T) ? (value as T) : undefined;
}

/** A YYYY-MM-DD date that exists on the calendar, or undefined. */
export function date(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value) ? value : undefined;
}

/** Whole days from `from` to `to` (both YYYY-MM-DD); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

const NUMBER = '[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?';
const PERCENT = new RegExp(`^(${NUMBER})\\s*%$`, 'i');
const MEAN_STD = new RegExp(`^(${NUMBER})\\s*(?:\\+/-|\\+-|±)\\s*${NUMBER}$`, 'i');
const PLAIN = new RegExp(`^${NUMBER}$`, 'i');

/**
 * A metric value as the Hugging Face card spec allows it: a number, or text that holds one — "0.91",
 * "91.2%" (read as 0.912), "245.37 +/- 48.64" (the mean). Undefined when the text holds no number.
 */
export function metricValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.length > 100) return undefined;
  const trimmed = value.trim();
  const percent = PERCENT.exec(trimmed);
  if (percent) return Number(percent[1]) / 100;
  const mean = MEAN_STD.exec(trimmed);
  if (mean) return Number(mean[1]);
  return PLAIN.test(trimmed) ? Number(trimmed) : undefined;
}

/** A parsed mapping without empty values: a key or list item with no value is absent, as the Hub reads it. */
export function withoutEmpty(value: unknown): unknown {
  const map = record(value);
  if (!map) return value;
  return Object.fromEntries(
    Object.entries(map)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, Array.isArray(v) ? v.filter((item) => item !== null) : v]),
  );
}
