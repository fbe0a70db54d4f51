import MarkdownIt from 'markdown-it';
import { type DeclaredFormat, importDocument, OWN_FORMAT } from '../formats/index.js';
import { LIMITS } from '../limits.js';
import { prescan } from '../parse/bounds.js';
import type { Problem } from '../parse/problem.js';
import { type ParsedData, parseData } from '../parse/yaml.js';
import { LIFECYCLE_STATUSES, RISK_TIERS } from '../types.js';
import { list, metricValue, oneOf, record, text, withoutEmpty } from './fields.js';
import type { Governance, Metric, ModelCard, Section } from './types.js';

type CardParts = Pick<
  ModelCard,
  'format' | 'data' | 'governance' | 'name' | 'sections' | 'metrics' | 'imported'
>;

// Block structure only: headings, paragraphs, code. Inline markup is not parsed (a label is read by a bounded
// pattern instead), which keeps hostile inline input such as 1 MB of "[[" linear and cheap.
const markdown = new MarkdownIt('commonmark');
markdown.core.ruler.disable(['inline', 'text_join']);
// GFM tables, as the Hub renders them: a key-value row ("| **Author** | [Explosion](…) |") is a label. markdown-it
// bounds the cells it fills in for short rows, so a hostile table stays linear.
markdown.enable('table');

/**
 * Parses a model card: Markdown with optional YAML front matter, or the same content as YAML/JSON. A card the
 * config says is in another format (a MinBZK system card, which is YAML) is read as data whatever its name.
 */
export function parseModelCard(
  path: string,
  source: string,
  format?: DeclaredFormat,
): CardParts | { problem: Problem } {
  const other = format !== undefined && format.id !== OWN_FORMAT;
  return /\.(md|markdown)$/i.test(path) && !other ? parseMarkdownCard(source) : parseDataCard(source, format);
}

function parseMarkdownCard(source: string): CardParts | { problem: Problem } {
  const front = splitFrontMatter(source);
  if ('problem' in front) return front;
  let data: ParsedData = { value: {}, locate: () => ({ line: 1 }) };
  if (front.yaml !== undefined) {
    let parsed = parseData(front.yaml, front.yamlLine! - 1);
    // The Hub's `widget:` holds example inputs for its inference widget, never governance: a tabular card's
    // (skops writes three rows of every feature) can pass the node bound alone. Only then is it left out,
    // blanked line for line so every other line keeps its number; the bound still holds for the rest.
    const scan = 'problem' in parsed ? prescan(front.yaml) : undefined;
    if (scan && 'exceeded' in scan && scan.exceeded.bound === 'nodes') {
      const rest = withoutWidget(front.yaml);
      const retried = rest === front.yaml ? parsed : parseData(rest, front.yamlLine! - 1);
      if (!('problem' in retried)) parsed = retried;
    }
    if ('problem' in parsed) {
      // PyYAML, and so the Hub, reads quoted strings whose later lines are indented less than their key.
      const lenient = parseData(reindentQuoted(front.yaml), front.yamlLine! - 1);
      if ('problem' in lenient) return parsed;
      parsed = lenient;
    }
    data = parsed.data;
    if (!record(data.value) && data.value !== null) {
      return {
        problem: {
          line: front.yamlLine!,
          message: 'the front matter is not a mapping of keys to values',
          fix: 'Write the metadata as "key: value" lines between the two "---" lines.',
        },
      };
    }
    data = { ...data, value: data.value === null ? {} : withoutEmpty(data.value) };
  }
  // "##\u00a0Evaluation Results" is a heading where the Hub renders one: the space after the marks may be any
  // Unicode space. Each is one UTF-16 unit, as the space that replaces it, so offsets and lines stay.
  const body = front.body.replace(UNICODE_SPACE_AFTER_MARKS, '$1 ');
  // One linear count before parsing: every heading costs markdown-it three tokens.
  const headings = body.match(/^ {0,3}#{1,6}(?=[ \t\n]|$)/gm)?.length ?? 0;
  if (headings > LIMITS.maxHeadings) {
    return {
      problem: {
        line: front.bodyLine,
        message: `the card has ${headings.toLocaleString('en')} headings, more than the ${LIMITS.maxHeadings.toLocaleString('en')} aims-gate reads`,
        fix: 'Keep the model card to its documentation; move generated listings elsewhere and link to them.',
      },
    };
  }
  return {
    format: 'markdown',
    data,
    ...metadataParts(data.value),
    sections: markdownSections(body, front.bodyLine),
  };
}

/** Heading marks followed by a no-break or other Unicode space, which CommonMark does not count as one. */
const UNICODE_SPACE_AFTER_MARKS = /^( {0,3}#{1,6})[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gm;

function parseDataCard(source: string, format?: DeclaredFormat): CardParts | { problem: Problem } {
  const read = parseData(source);
  if ('problem' in read) return read;
  // A card in another format (a MinBZK system card) is read through its importer.
  const imported = importDocument('model-card', read.data, undefined, format);
  if (imported && 'problem' in imported) return imported;
  const parsed = imported ? { data: imported.data } : read;
  const card = record(parsed.data.value);
  if (!card) {
    return {
      problem: {
        line: 1,
        message: 'the model card is not a mapping of keys to values',
        fix: 'Write the card as a YAML mapping: metadata keys, plus its sections under "sections:".',
      },
    };
  }
  const sections = new Map<string, Section>();
  for (const [title, body] of Object.entries(record(card.sections) ?? {})) {
    const content = typeof body === 'string' ? meaningfulText(body) : '';
    sections.set(sectionKey(title), { title, line: parsed.data.locate(['sections', title]).line, content });
  }
  return {
    format: 'data',
    data: parsed.data,
    ...metadataParts(parsed.data.value),
    sections,
    ...(imported ? { imported: imported.imported } : {}),
  };
}

/**
 * Front matter as huggingface_hub finds it: after any leading blank lines or whitespace, a line "---", then
 * YAML, then a closing "---" (or "...") line. BOM and CRLF are gone already (decodeText).
 */
export function splitFrontMatter(
  source: string,
): { yaml?: string; yamlLine?: number; body: string; bodyLine: number } | { problem: Problem } {
  const open = /^\s*?---[ \t]*\n/.exec(source);
  if (!open) return { body: source, bodyLine: 1 };
  const openLine = countLines(open[0]); // the line of the opening "---"
  const close = /^(?:---|\.\.\.)[ \t]*$/m;
  const rest = source.slice(open[0].length);
  const match = close.exec(rest);
  if (!match) {
    return {
      problem: {
        line: openLine,
        message: `the front matter opened on line ${openLine} is never closed`,
        fix: 'Add a line with only "---" after the metadata, before the Markdown text.',
      },
    };
  }
  const yaml = rest.slice(0, match.index);
  const afterClose = rest.indexOf('\n', match.index);
  const body = afterClose === -1 ? '' : rest.slice(afterClose + 1);
  return { yaml, yamlLine: openLine + 1, body, bodyLine: openLine + 1 + countLines(yaml) + 1 };
}

/** A line whose value opens a quoted string: the key (or list dash) before it, then the quote. */
const QUOTED_VALUE = /^([ \t]*(?:- +)*(?:[^\s'"#-][^#]*?:[ \t]+)?(?:- +)?)(["'])/;

/**
 * YAML with the continuation lines of multi-line quoted strings indented past the line that opened them,
 * as YAML 1.2 requires and PyYAML does not. Only spaces are added, so every line keeps its number. One pass.
 */
/** Front matter with its top-level `widget:` entry blanked (its value ends at the next top-level key). */
function withoutWidget(yaml: string): string {
  const lines = yaml.split('\n');
  const start = lines.findIndex((line) => /^widget\s*:/.test(line));
  if (start < 0) return yaml;
  let end = start + 1;
  // A top-level key's block value is indented, or a list written at column 0 ("- text: …"), or blank.
  while (end < lines.length && /^(?:[ \t#]|-(?:[ \t]|$)|$)/.test(lines[end]!)) end++;
  return [...lines.slice(0, start), ...lines.slice(start, end).map(() => ''), ...lines.slice(end)].join('\n');
}

export function reindentQuoted(yaml: string): string {
  const lines = yaml.split('\n');
  let open: { quote: string; indent: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    let from: number;
    if (open) {
      const text = line.replace(/^[ \t]*/, '');
      line = ' '.repeat(open.indent + 2) + text;
      lines[i] = line;
      from = open.indent + 2;
    } else {
      const start = QUOTED_VALUE.exec(line);
      if (!start) continue;
      // Deeper than the key, which in a list item sits after its dash.
      open = { quote: start[2]!, indent: /^[ \t]*(?:- +)*/.exec(line)![0].length };
      from = start[1]!.length + 1;
    }
    if (closes(line, from, open.quote)) open = undefined;
  }
  return lines.join('\n');
}

/** Whether a quoted string closes on this line, from `from`: `\"` escapes in double quotes, `''` in single ones. */
function closes(line: string, from: number, quote: string): boolean {
  for (let i = from; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') i++;
    else if (line[i] === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else return true;
    }
  }
  return false;
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function metadataParts(value: unknown): Pick<CardParts, 'governance' | 'name' | 'metrics'> {
  const meta = record(value) ?? {};
  const stated = governanceOf(meta.governance);
  const governance = { ...topLevelGovernance(meta) };
  for (const [fact, v] of Object.entries(stated))
    if (v !== undefined) Object.assign(governance, { [fact]: v });
  // huggingface_hub's ModelCardData.model_name, which it also writes as the name of the model-index.
  const name = text(meta.model_name) ?? text(record(list(meta['model-index'])[0])?.name);
  return { governance, ...(name ? { name } : {}), metrics: metricsOf(meta['model-index']) };
}

/**
 * Governance facts a card states outside `governance:`, under keys the Hub's card spec does not have but
 * other formats do (the MinBZK system card's `status` and `owners`): read where the value is one aims-gate
 * knows; `governance:` wins where both say. The governance rule points at one it could not read.
 */
export function topLevelGovernance(meta: Record<string, unknown>): Governance {
  const owners = list(meta.owners).map((o) =>
    typeof o === 'string' ? text(o) : (text(record(o)?.name) ?? text(record(o)?.email)),
  );
  const owner = text(meta.owner) ?? owners.find((o) => o !== undefined);
  const status = oneOf(
    typeof meta.status === 'string' ? meta.status.toLowerCase() : undefined,
    LIFECYCLE_STATUSES,
  );
  return { ...(owner ? { owner } : {}), ...(status ? { status } : {}) };
}

/** The governance facts a mapping states: each of the wrong type reads as absent. */
export function governanceOf(value: unknown): Governance {
  const g = record(value) ?? {};
  return {
    system: text(g.system),
    version: text(g.version),
    owner: text(g.owner),
    status: oneOf(g.status, LIFECYCLE_STATUSES),
    tier: oneOf(g.tier, RISK_TIERS),
  };
}

function metricsOf(modelIndex: unknown): Metric[] {
  const metrics: Metric[] = [];
  list(modelIndex).forEach((entry, m) => {
    const model = text(record(entry)?.name);
    list(record(entry)?.results).forEach((result, r) => {
      const res = record(result);
      const task = text(record(res?.task)?.type);
      const dataset = text(record(res?.dataset)?.name) ?? text(record(res?.dataset)?.type);
      list(res?.metrics).forEach((metric, k) => {
        const type = text(record(metric)?.type);
        const raw = record(metric)?.value;
        if (type === undefined || (typeof raw !== 'number' && typeof raw !== 'string')) return;
        const pointer = ['model-index', m, 'results', r, 'metrics', k, 'value'];
        const value = metricValue(raw);
        metrics.push({
          model,
          task,
          dataset,
          type,
          name: text(record(metric)?.name),
          ...(value !== undefined ? { value } : {}),
          text: String(raw),
          pointer,
        });
      });
    });
  });
  return metrics;
}

/**
 * Sections of a Markdown card by heading, at any level. A section's content runs to the next heading of
 * the same or a higher level, so "Uses" holds "Direct Use" and "Out-of-Scope Use".
 */
function markdownSections(body: string, bodyLine: number): Map<string, Section> {
  const tokens = markdown.parse(body, {});
  const headings: { level: number; title: string; line: number; start: number }[] = [];
  // A label's section runs to the next boundary, unless it says where it ends (a lead-in holds its list).
  const labels: { title: string; line: number; start: number; content?: string }[] = [];
  const listEnds = blockCloses(tokens);
  tokens.forEach((token, i) => {
    if (token.type === 'heading_open') {
      headings.push({
        level: Number(token.tag.slice(1)),
        title: tokens[i + 1]?.content ?? '',
        line: (token.map?.[0] ?? 0) + bodyLine,
        start: i,
      });
    }
    if (token.type === 'tr_open') {
      const row = keyValueOf(tokens, i);
      if (row) labels.push({ ...row, line: (token.map?.[0] ?? 0) + bodyLine, start: i });
    }
    if (token.type !== 'paragraph_open') return;
    const line = (token.map?.[0] ?? 0) + bodyLine;
    // A lead-in first: where it is also a bare label ("Training data:" over a list), its list is its section.
    const leadIn = leadInOf(tokens, i, listEnds);
    if (leadIn) labels.push({ ...leadIn, line: line + leadIn.line, start: i });
    const label =
      labelOf(tokens[i + 1]) ??
      bareLabelOf(tokens[i + 1]) ??
      (tokens[i - 1]?.type === 'list_item_open'
        ? listLabelOf(tokens[i + 1])
        : tokens[i + 1]?.content.includes('\n')
          ? undefined
          : paragraphLabelOf(tokens[i + 1]));
    if (label) labels.push({ title: label, line, start: i });
  });
  // Where each section ends: at the next heading of the same or a higher level, found in one pass with a stack.
  const ends = headings.map(() => tokens.length);
  const open: number[] = [];
  headings.forEach((heading, h) => {
    while (open.length && headings[open.at(-1)!]!.level >= heading.level) ends[open.pop()!] = heading.start;
    open.push(h);
  });
  const sections = new Map<string, Section>();
  const add = (title: string, line: number, from: number, to: number, nested?: Partial<Section>) => {
    const key = sectionKey(title);
    if (!sections.has(key))
      sections.set(key, { title, line, content: meaningfulText(textOf(tokens, from, to)), ...nested });
  };
  headings.forEach((heading, h) => {
    const under: typeof headings = []; // the headings after it, up to its end, are the ones under it
    for (let next = h + 1; next < headings.length && headings[next]!.start < ends[h]!; next++)
      under.push(headings[next]!);
    add(
      heading.title,
      heading.line,
      heading.start + 3,
      ends[h]!,
      under.length
        ? {
            own: meaningfulText(textOf(tokens, heading.start + 3, under[0]!.start)),
            subsections: under.map((other) => sectionKey(other.title)),
          }
        : undefined,
    );
  });
  // A bold label's section runs to the next label or heading, whichever comes first.
  const boundaries = [...headings.map((h) => h.start), ...labels.map((l) => l.start), tokens.length].sort(
    (a, b) => a - b,
  );
  let next = 0;
  for (const label of labels) {
    while (boundaries[next]! <= label.start) next++;
    const key = sectionKey(label.title);
    if (label.content === undefined) add(label.title, label.line, label.start + 1, boundaries[next]!);
    else if (!sections.has(key))
      sections.set(key, { title: label.title, line: label.line, content: meaningfulText(label.content) });
  }
  return sections;
}

type Tokens = ReturnType<typeof markdown.parse>;

/** For each list's or table's opening token, the index of its closing one: one pass with a stack. */
function blockCloses(tokens: Tokens): Map<number, number> {
  const ends = new Map<number, number>();
  const open: number[] = [];
  tokens.forEach((token, i) => {
    if (/^(?:bullet_list|ordered_list|table)_open$/.test(token.type)) open.push(i);
    else if (/^(?:bullet_list|ordered_list|table)_close$/.test(token.type)) ends.set(open.pop()!, i);
  });
  return ends;
}

/**
 * A table row of two cells whose first is a label: spaCy's cards state their author and training corpora so
 * ("| **Author** | [Explosion](https://explosion.ai) |", "| **Sources** | [OntoNotes 5](…) |"), and metric
 * tables their values ("| Accuracy | 0.91 |"). Body rows only: a header row names columns, not facts.
 */
function keyValueOf(tokens: Tokens, at: number): { title: string; content: string } | undefined {
  const [key, value] = [tokens[at + 2], tokens[at + 5]];
  if (
    tokens[at + 1]?.type !== 'td_open' ||
    tokens[at + 4]?.type !== 'td_open' ||
    tokens[at + 7]?.type !== 'tr_close'
  )
    return undefined;
  const text = key?.content.trim() ?? '';
  const title =
    LABEL.exec(text)?.[0] === text ? LABEL.exec(text)![2]!.replace(/:$/, '') : bareLabelOf(key, '');
  return title ? { title, content: value?.content ?? '' } : undefined;
}

/** A line ending in a colon that introduces a list or a table: at most 120 characters. */
const LEAD_IN = /^[^\n]{1,119}:$/;

/**
 * A lead-in: the line ending in a colon that introduces the list or table after it, which it titles as a
 * heading would. The Trainer's card writes its evaluation so ("It achieves the following results on the
 * evaluation set:" over "- eval_loss: 4.13"), and so do other cards ("Evaluating the model on STS…:" over a
 * table). A table is a paragraph of "|" lines to CommonMark, after the lead-in or inside its paragraph. A
 * lead-in with nothing under it is no section: the Trainer writes the line even when it has no results.
 */
function leadInOf(
  tokens: Tokens,
  at: number,
  listEnds: Map<number, number>,
): { title: string; line: number; content: string } | undefined {
  const inline = tokens[at + 1];
  if (inline?.type !== 'inline') return undefined;
  const lines = inline.content.split('\n');
  // Inside the paragraph: a lead-in line followed by table rows.
  const row = lines.findIndex(
    (line, k) => k > 0 && line.trimStart().startsWith('|') && LEAD_IN.test(lines[k - 1]!.trim()),
  );
  if (row > 0)
    return {
      title: lines[row - 1]!.trim().slice(0, -1),
      line: row - 1,
      content: lines.slice(row).join('\n'),
    };
  const last = lines.at(-1)!.trim();
  if (!LEAD_IN.test(last)) return undefined;
  const next = at + 3; // after paragraph_open, inline, paragraph_close
  const block = tokens[next];
  let content: string | undefined;
  if (/^(?:bullet_list|ordered_list|table)_open$/.test(block?.type ?? ''))
    content = textOf(tokens, next, listEnds.get(next) ?? next);
  else if (block?.type === 'paragraph_open' && tokens[next + 1]?.content.trimStart().startsWith('|'))
    content = tokens[next + 1]!.content;
  return content === undefined ? undefined : { title: last.slice(0, -1), line: lines.length - 1, content };
}

/** The text of the blocks between two token indexes; a label's own words are left out of its content. */
function textOf(tokens: Tokens, from: number, to: number): string {
  const parts: string[] = [];
  for (let i = from; i < to; i++) {
    const token = tokens[i]!;
    // A subheading's title is no content: "## Results" holding only "### Summary" says nothing.
    if (token.type === 'inline' && tokens[i - 1]?.type !== 'heading_open') {
      const label = LABEL.exec(token.content);
      parts.push(label ? token.content.slice(label[0].length).replace(/^[:\s]+/, '') : token.content);
    } else if (token.type === 'fence' || token.type === 'code_block' || token.type === 'html_block') {
      parts.push(token.content);
    }
  }
  return parts.join('\n');
}

/** A paragraph that opens with **Label** or __Label__ (a colon inside or after it): at most 60 characters. */
const LABEL = /^(\*\*|__)([^*_\n]{1,60}?)\1/;

/** "Out-of-scope" for a paragraph that opens with **Out-of-scope:**. */
function labelOf(inline: ReturnType<typeof markdown.parse>[number] | undefined): string | undefined {
  if (inline?.type !== 'inline') return undefined;
  return (
    LABEL.exec(inline.content)?.[2]
      ?.replace(/[:\s]+$/, '')
      .trim() || undefined
  );
}

/**
 * A paragraph that is only a label and its colon ("Training data:" over a code block of dataset names): a
 * heading written as text. At most four words (letters, digits, hyphens, brackets) and 40 characters, as headings
 * are: "To evaluate, run:" over a command, "Sample results pictures of this concept:" over images and "On Libri2Mix
 * min test set:" inside a Results section are no labels.
 */
const BARE_LABEL = forText(/^([\p{L}][\p{L}\p{N}()-]*(?: [\p{L}\p{N}()-]+){0,3})\s*:$/u);

function bareLabelOf(inline: Tokens[number] | undefined, colon = ':'): string | undefined {
  const text = inline?.type === 'inline' ? inline.content.trim() : '';
  if (text.length > 41 || !text.endsWith(colon)) return undefined;
  const label = colon ? text : `${text}:`;
  return BARE_LABEL(label).exec(label)?.[1];
}

/**
 * A list item, or a paragraph of one line (see paragraphLabelOf), that opens with a plain "Label: value", as
 * templates write facts:
 * Helsinki-NLP's 95 OPUS-MT cards of the corpus say "* dataset: opus" and nothing else of their training data,
 * Flair's cards "F-score (micro): **94,96**". Words, digits and
 * spaces only, at most 30 characters, so a sentence with a colon in it is no label; a unit in brackets may
 * follow, as AutoTrain writes "- CO2 Emissions (in grams): 0.3690".
 */
const LIST_LABEL = forText(/^([\p{L}][\p{L}\p{N} -]{0,29}?(?:\s*\([^()\n]{1,30}\))?)\s*:\s+\S/u);

/** Outside a list, where sentences with a colon are common, at most three words ("Check results with Space:" is none). */
function paragraphLabelOf(inline: Tokens[number] | undefined): string | undefined {
  const label = listLabelOf(inline);
  return label && label.replace(/\s*\(.*\)$/, '').split(/\s+/).length <= 3 ? label : undefined;
}

function listLabelOf(inline: ReturnType<typeof markdown.parse>[number] | undefined): string | undefined {
  if (inline?.type !== 'inline') return undefined;
  // Only its first 30 characters are matched against letter and digit classes: the rest, against others.
  return LIST_LABEL(inline.content.slice(0, 30)).exec(inline.content)?.[1]?.trim();
}

/**
 * The \p{…} classes (letters, digits, punctuation) spelled out for ASCII text: each matches the same ASCII
 * characters as its class (test/model-cards.test.ts checks every one).
 */
export const ASCII_CLASSES: Record<string, string> = {
  '\\p{L}': 'A-Za-z',
  '\\p{N}': '0-9',
  '\\p{P}': '\\x21-\\x23\\x25-\\x2a\\x2c-\\x2f\\x3a-\\x3b\\x3f-\\x40\\x5b-\\x5d\\x5f\\x7b\\x7d',
};
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * A pattern whose \p{…} classes sit inside brackets, for the text it is to match: itself, or for ASCII text (most
 * cards) its twin with those classes spelled out (ASCII_CLASSES), which matches ASCII text alike. V8 compiles a
 * \p{…} class from ICU's Unicode tables, some 30 M instructions in a check that meets the patterns here.
 */
function forText(pattern: RegExp): (text: string) => RegExp {
  let ascii: RegExp | undefined;
  return (text) => {
    if (NON_ASCII.test(text)) return pattern;
    ascii ??= new RegExp(
      Object.entries(ASCII_CLASSES).reduce(
        (source, [unicode, spelled]) => source.replaceAll(unicode, spelled),
        pattern.source,
      ),
      pattern.flags,
    );
    return ascii;
  };
}
const NOT_LETTER_OR_DIGIT = forText(/[^\p{L}\p{N}]+/u);

/** "## Bias, Risks, and Limitations [optional]" and "bias, risks and limitations" have the same key. */
export function sectionKey(title: string): string {
  return title
    .replace(/[[(]optional[\])]/gi, '')
    .toLowerCase()
    .split(NOT_LETTER_OR_DIGIT(title))
    .filter(Boolean)
    .join(' ');
}

/** What template authors leave where content should be: a placeholder says nothing, bracketed or not. */
const PLACEHOLDER_PHRASES =
  'more information needed|needs more information|more info needed|more details needed|coming soon|to be (?:added|announced|determined|completed)|tbd|tba|todo|n/?a|none yet|fill (?:this )?in';
const BRACKETED = new RegExp(
  `\\[(?:${PLACEHOLDER_PHRASES}|optional)\\]|\\{\\{[^{}]*\\}\\}|\\bTODO\\b|\\bTBD\\b`,
  'gi',
);
/** A line whose whole value is a placeholder, after an optional "Label:". */
const PLACEHOLDER_LINE = new RegExp(`^(?:[^:]{1,60}:\\s*)?(?:${PLACEHOLDER_PHRASES})[.!…]*$`, 'i');

/**
 * The Hub's note on a card it wrote for another team's model, under "Disclaimer": it says who wrote the card,
 * nothing of the model's limitations (8 cards of the corpus).
 */
const NO_CARD_WRITTEN =
  /the team releasing [^\n]{1,80}? did not write a model card for this model,? so this model card has been written by the hugging face team\.?/gi;

/**
 * What a section really says: without HTML comments, template placeholders (bracketed or a line's whole
 * value), and label lines left empty ("- **Developed by:** [More Information Needed]" says nothing).
 */
export function meaningfulText(raw: string): string {
  return withoutComments(raw)
    .replace(BRACKETED, '')
    .replace(NO_CARD_WRITTEN, '')
    .replace(HTML_TAG, ' ')
    .split('\n')
    .map((line) => line.replace(/[*_`#>|-]/g, ' ').trim())
    .filter((line) => {
      const words = withoutEdgePunctuation(line);
      return (
        LETTER_OR_DIGIT(words).test(words) && !/^[^:]{1,60}:$/.test(line) && !PLACEHOLDER_LINE.test(words)
      );
    })
    .join('\n');
}

/** Markup that says nothing by itself: tags (<br>, <details>), entities (&nbsp;). */
const HTML_TAG = /<\/?[a-z][^<>]*>|&[a-z]+;|&#\d+;/gi;
/** What a placeholder leaves around it once removed: "[TODO: fill in]." → "fill in", "(#)" → "". */
const EDGE_PUNCTUATION = forText(/^[\s\p{P}]+|[\s\p{P}]+$/gu);

/**
 * The text less the punctuation and spaces at its ends, those beyond ASCII only looked for where the ASCII ones
 * end at a character beyond ASCII (a "—" or "«" may be punctuation).
 */
function withoutEdgePunctuation(text: string): string {
  const trimmed = text.replace(EDGE_PUNCTUATION(''), ''); // the pattern for ASCII text
  return NON_ASCII.test(trimmed.charAt(0)) || NON_ASCII.test(trimmed.charAt(trimmed.length - 1))
    ? text.replace(EDGE_PUNCTUATION(text), '')
    : trimmed;
}

/** A letter or digit of any script. */
const LETTER_OR_DIGIT = forText(/[\p{L}\p{N}]/u);

/** Text without HTML comments, in one pass: an unclosed "<!--" hides the rest, as in a browser. */
function withoutComments(text: string): string {
  let out = '';
  let at = 0;
  for (let open = text.indexOf('<!--'); open !== -1; open = text.indexOf('<!--', at)) {
    out += text.slice(at, open);
    const close = text.indexOf('-->', open + 4);
    if (close === -1) return out;
    at = close + 3;
  }
  return out + text.slice(at);
}
