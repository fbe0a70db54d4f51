/**
 * Every bound on untrusted input in one place. Documents come from pull requests: these keep a hostile
 * or accidental input (an alias bomb, a 50 MB file, a deeply nested structure) from exhausting memory or time.
 */
export const LIMITS = {
  /** Largest governance document or config file read, in bytes. Real documents are a few kilobytes. */
  maxFileBytes: 1024 * 1024,
  /** YAML aliases resolved per document; anchors and aliases have no business in governance documents. */
  maxAliasCount: 20,
  /** Deepest nesting of maps and lists in a YAML or JSON document. */
  maxDepth: 24,
  /** How many `extends` a policy chain may follow. */
  maxExtendsDepth: 4,
  /** Headings in one Markdown card (the largest of 2,511 Hub cards has under 500 lines starting with "#"). */
  maxHeadings: 5000,
  /** Findings reported per document and rule before the rest are summarised in one line. */
  maxFindingsPerRule: 50,
} as const;
