/**
 * Every bound on untrusted input in one place. Documents come from pull requests: these keep a hostile
 * or accidental input (an alias bomb, a 50 MB file, a deeply nested structure) from exhausting memory or time.
 */
export const LIMITS = {
  /** Largest governance document or config file read, in bytes. Real documents are a few kilobytes. */
  maxFileBytes: 1024 * 1024,
  /**
   * Scalars, aliases, flow collections and list items one YAML or JSON document may write, counted by a
   * linear pre-scan before anything is parsed: the YAML library's trees cost 1.5 to 2.5 KiB per node, so
   * this keeps one document's parse under 50 MiB and 0.5 s (bench/hostile-yaml.js: 25,000 cost up to 56 MiB
   * and 0.6 s). Of 2,511 Hub cards, one front matter (6,000 features of widget sample data) writes more;
   * the next largest writes 530, the MinBZK AIIA instrument about 5,000.
   */
  maxYamlNodes: 20_000,
  /**
   * Nodes and scalar text of a document once its aliases are written out: what anything that walks the
   * parsed value (schema validation, rules, reports) pays. A template aliased once per question (the
   * MinBZK IAMA and AIIA instruments) stays far below; aliases of aliases ("billion laughs") do not.
   */
  maxExpandedNodes: 200_000,
  maxExpandedBytes: 8 * 1024 * 1024,
  /** Deepest nesting of maps and lists in a YAML or JSON document. */
  maxDepth: 24,
  /** How many `extends` a policy chain may follow. */
  maxExtendsDepth: 4,
  /** Headings in one Markdown card (the largest of 2,511 Hub cards has under 500 lines starting with "#"). */
  maxHeadings: 5000,
  /** Findings reported per document and rule before the rest are summarised in one line. */
  maxFindingsPerRule: 50,
} as const;
