import { parse } from 'yaml';
import { readAsset } from './assets.js';

interface AnnexA {
  objectives: Record<string, string>;
  controls: Record<string, string>;
  clauses: Record<string, string>;
}

let annex: AnnexA | undefined;

/** ISO/IEC 42001:2023 Annex A: the 38 controls (A.2.2–A.10.4) and their titles, from reference/. */
export function annexA(): AnnexA {
  annex ??= parse(readAsset('reference/iso42001-annex-a.yml')) as AnnexA;
  return annex;
}

export function controlIds(): string[] {
  return Object.keys(annexA().controls);
}

export function controlTitle(id: string): string {
  return annexA().controls[id] ?? annexA().clauses[id] ?? id;
}
