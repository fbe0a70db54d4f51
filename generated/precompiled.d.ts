// The types of precompiled.js beside it, which `npm run schemas` generates (written by hand: its exports are
// named by content, so src/schema.ts reads them as a record).
export const assets: Record<string, { sha256: string; data: string } | undefined>;
