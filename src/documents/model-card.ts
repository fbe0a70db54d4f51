import MarkdownIt from 'markdown-it';
import type { Problem } from '../parse/problem.js';
import { type ParsedData, parseData } from '../parse/yaml.js';
import { LIFECYCLE_STATUSES, RISK_TIERS } from '../types.js';
import { list, number, oneOf, record, text } from './fields.js';
import type { Governance, Metric, ModelCard, Section } from './types.js';

type CardParts = Pick<ModelCard, 'format' | 'data' | 'governance' | 'sections' | 'metrics'>;

const markdown = new MarkdownIt('commonmark');

/** Parses a model card: Markdown with optional YAML front matter, or the same content as YAML/JSON. */
export function parseModelCard(path: string, source: string): CardParts | { problem: Problem } {
  return /\.(md|markdown)$/i.test(path) ? parseMarkdownCard(source) : parseDataCard(source);
}

function parseMarkdownCard(source: string): CardParts | { problem: Problem } {
  const front = splitFrontMatter(source);
  if ('problem' in front) return front;
  let data: ParsedData = { value: {}, locate: () => ({ line: 1 }) };
  if (front.yaml !== undefined) {
    const parsed = parseData(front.yaml, 1);
    if ('problem' in parsed) return parsed;
    data = parsed.data;
    if (!record(data.value) && data.value !== null) {
      return {
        problem: {
          line: 2,
          message: 'the front matter is not a mapping of keys to values',
          fix: 'Write the metadata as "key: value" lines between the two "---" lines.',
        },
      };
    }
    if (data.value === null) data = { ...data, value: {} };
  }
  return {
    format: 'markdown',
    data,
    ...metadataParts(data.value),
    sections: markdownSections(front.body, front.bodyLine),
  };
}

function parseDataCard(source: string): CardParts | { problem: Problem } {
  const parsed = parseData(source);
  if ('problem' in parsed) return parsed;
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
  return { format: 'data', data: parsed.data, ...metadataParts(parsed.data.value), sections };
}

/** Front matter is a first line "---", then YAML, then a closing "---" (or "..."). */
function splitFrontMatter(
  source: string,
): { yaml?: string; body: string; bodyLine: number } | { problem: Problem } {
  if (!/^---[ \t]*\n/.test(source)) return { body: source, bodyLine: 1 };
  const close = /^(?:---|\.\.\.)[ \t]*$/m;
  const rest = source.slice(source.indexOf('\n') + 1);
  const match = close.exec(rest);
  if (!match) {
    return {
      problem: {
        line: 1,
        message: 'the front matter opened on line 1 is never closed',
        fix: 'Add a line with only "---" after the metadata, before the Markdown text.',
      },
    };
  }
  const yaml = rest.slice(0, match.index);
  const afterClose = rest.indexOf('\n', match.index);
  const body = afterClose === -1 ? '' : rest.slice(afterClose + 1);
  return { yaml, body, bodyLine: 2 + countLines(yaml) + 1 };
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function metadataParts(value: unknown): Pick<CardParts, 'governance' | 'metrics'> {
  const meta = record(value) ?? {};
  return { governance: governanceOf(meta.governance), metrics: metricsOf(meta['model-index']) };
}

function governanceOf(value: unknown): Governance {
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
        const value = number(record(metric)?.value);
        if (type === undefined || value === undefined) return;
        const pointer = ['model-index', m, 'results', r, 'metrics', k, 'value'];
        metrics.push({ model, task, dataset, type, name: text(record(metric)?.name), value, pointer });
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
  tokens.forEach((token, i) => {
    if (token.type === 'heading_open') {
      headings.push({
        level: Number(token.tag.slice(1)),
        title: tokens[i + 1]?.content ?? '',
        line: (token.map?.[0] ?? 0) + bodyLine,
        start: i,
      });
    }
  });
  const sections = new Map<string, Section>();
  headings.forEach((heading, h) => {
    const next = headings.slice(h + 1).find((other) => other.level <= heading.level);
    const parts: string[] = [];
    for (let i = heading.start + 3; i < (next?.start ?? tokens.length); i++) {
      const token = tokens[i]!;
      if (
        token.type === 'inline' ||
        token.type === 'fence' ||
        token.type === 'code_block' ||
        token.type === 'html_block'
      ) {
        parts.push(token.content);
      }
    }
    const key = sectionKey(heading.title);
    if (!sections.has(key))
      sections.set(key, {
        title: heading.title,
        line: heading.line,
        content: meaningfulText(parts.join('\n')),
      });
  });
  return sections;
}

/** "## Bias, Risks, and Limitations [optional]" and "bias, risks and limitations" have the same key. */
export function sectionKey(title: string): string {
  return title
    .replace(/[[(]optional[\])]/gi, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join(' ');
}

const PLACEHOLDER =
  /\[(?:more information needed|needs more information|optional)\]|\{\{[^}]*\}\}|\bTODO\b|\bTBD\b/gi;

/**
 * What a section really says: without HTML comments, template placeholders, and label lines left empty
 * ("- **Developed by:** [More Information Needed]" says nothing).
 */
export function meaningfulText(raw: string): string {
  return raw
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(PLACEHOLDER, '')
    .split('\n')
    .map((line) => line.replace(/[*_`#>|-]/g, ' ').trim())
    .filter((line) => line !== '' && !/^[^:]{1,60}:$/.test(line))
    .join('\n');
}
