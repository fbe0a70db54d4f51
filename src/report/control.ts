import canonicalize from 'canonicalize';
import { sha256 } from '../audit/entry.js';
import { type CheckedFile, supersededWords } from '../audit/evidence.js';

/**
 * The auditor's report as controlled documented information (ISO/IEC 42001 7.5.2, 7.5.3): what it is about
 * (organisation, scope, period), what it was made from (repository, commit, working tree, log, configuration,
 * tool version), an identifier, and who prepared, reviewed and approved it.
 */

export const SIGN_OFF = [
  { role: 'Prepared by', option: 'prepared-by' },
  { role: 'Reviewed by', option: 'reviewed-by' },
  { role: 'Approved by', option: 'approved-by' },
] as const;

export interface DocumentControl {
  /** AGR- and 16 hex digits of the SHA-256 of `inputs`: the same inputs, the same id, in every format. */
  id: string;
  /** From the organisation's Statement of Applicability, where it has one. */
  organisation?: string;
  scope?: string;
  /** Dates, inclusive; `first`: the first entry's date, where no --since is given. */
  period: { since?: string; until: string; first?: string };
  repository: string;
  /** `commit` and the files under the folder that differ from it; or why neither is known. */
  tree: { commit: string; changes: string[] } | { unknown: string };
  version: string;
  generated: string;
  inputs: ControlInputs;
  signOff: { role: string; name?: string }[];
}

/** What the report was made from, each by digest: what the document id is the hash of. */
export interface ControlInputs {
  /** SHA-256 of the log file's bytes; absent where there is no log. */
  log?: string;
  /** SHA-256 of the log's anchors (`<log>.anchors`), where it has any: they decide what verification says. */
  anchors?: string;
  /** SHA-256 of the configuration file; absent for the default configuration. */
  config?: string;
  /** SHA-256 of the documents read, as "sha256 path" lines (the commit does not cover an edited one). */
  documents: string;
  commit?: string;
  /** Files that differ from the commit, by name (their content is in `documents` where they were read). */
  changes?: string[];
  since?: string;
  until: string;
  /** The date the documents were evaluated as of: review dates fall due against it. */
  today: string;
  version: string;
  checkpoint?: string;
}

export function documentId(inputs: ControlInputs): string {
  return `AGR-${sha256(canonicalize(inputs) as string)
    .slice(0, 16)
    .toUpperCase()}`;
}

/** The digest of a set of files as the inventory lists them: order does not matter, paths and contents do. */
export function documentsDigest(files: readonly { path: string; sha256: string }[]): string {
  return sha256(
    files
      .map((f) => `${f.sha256} ${f.path}\n`)
      .sort()
      .join(''),
  );
}

/** The working tree in words, and whether it is the commit: an edit not committed is in no reviewed history. */
export function treeWords(control: DocumentControl): { clean: boolean; text: string } {
  const { tree } = control;
  if ('unknown' in tree) return { clean: false, text: `unknown: ${tree.unknown}` };
  if (!tree.changes.length) return { clean: true, text: 'clean: what was read is the commit' };
  const shown = tree.changes.slice(0, 10).join(', ');
  const more = tree.changes.length > 10 ? `, and ${tree.changes.length - 10} more` : '';
  return {
    clean: false,
    text: `MODIFIED: ${tree.changes.length} file${tree.changes.length === 1 ? '' : 's'} differ${tree.changes.length === 1 ? 's' : ''} from the commit (${shown}${more}); this report is of uncommitted work, a draft, not a record`,
  };
}

export function periodWords(period: DocumentControl['period']): string {
  const from = period.since ?? (period.first ? `${period.first} (the log's first entry)` : "the log's start");
  return `${from} to ${period.until}`;
}

/** The header's rows, in the order both renderers show them. */
export function controlRows(control: DocumentControl): [label: string, value: string][] {
  const { inputs } = control;
  return [
    ['Document id', control.id],
    ['Organisation', control.organisation ?? 'not declared (the Statement of Applicability names it)'],
    ['Scope', control.scope ?? 'not declared (the Statement of Applicability names it)'],
    ['Period', periodWords(control.period)],
    ['Repository', control.repository],
    ['Commit', 'unknown' in control.tree ? 'none' : control.tree.commit],
    ['Working tree', treeWords(control).text],
    ['Generated', `${control.generated} by aims-gate ${control.version}`],
    ['Audit log (SHA-256)', inputs.log ?? 'no log'],
    ...(inputs.anchors ? [['Its anchors (SHA-256)', inputs.anchors] as [string, string]] : []),
    ['Configuration (SHA-256)', inputs.config ?? 'none: the default configuration'],
    ['Documents read (SHA-256 of their digests)', inputs.documents],
  ];
}

/** What an auditor reads before the figures: the period's bounds, and what the document id covers. */
export const CONTROL_NOTE =
  'Counts, registers and timelines cover the period; registers and figures stand as at its last day. The audit log is verified whole. The documents are those of the working tree, evaluated as of the date above. The document id is a hash of the inputs listed here, the period, that date and the tool version: the same inputs give the same id in every format.';

/** A cited file's state in a few words, for the report's evidence table. */
export function evidenceStateWords(file: CheckedFile): string {
  switch (file.state) {
    case 'matches':
      return 'matches';
    case 'superseded':
      return supersededWords(file);
    case 'missing':
      return 'MISSING from the working tree';
    case 'changed':
      return `CHANGED: now ${file.now?.slice(0, 16)}…`;
    case 'refused':
      return 'not read: the path leaves the repository';
  }
}

export function evidenceEntriesWords(file: CheckedFile): string {
  return file.entries === 1 ? `#${file.first}` : `#${file.first} to #${file.last} (${file.entries} entries)`;
}

/** The sentence above the evidence table: how many versions, how many are not what the log says. */
export function evidenceSentence(files: readonly CheckedFile[], more = 0): string {
  const bad = files.filter((f) => f.state === 'missing' || f.state === 'changed' || f.state === 'refused');
  const paths = new Set(files.map((f) => f.path)).size;
  return `${files.length + more} version${files.length + more === 1 ? '' : 's'} of ${paths}${more ? '+' : ''} file${paths === 1 ? '' : 's'} cited by entries to the period's end, each checked against the working tree: ${bad.length ? `${bad.length} not as the log recorded (aims-gate verify --evidence names them)` : 'every file the log cites last is as it recorded'}.${more ? ` ${more} more are not listed.` : ''}`;
}
