import type { Imported } from '../formats/index.js';
import type { Problem } from '../parse/problem.js';
import type { ParsedData } from '../parse/yaml.js';
import type { SchemaViolation } from '../schema.js';
import type { DocumentKind, LifecycleStatus, Pointer, Position, RiskTier } from '../types.js';

/** What every parsed document keeps: where it came from, its raw data with positions, and its schema violations. */
export interface DocumentBase<K extends DocumentKind> {
  kind: K;
  path: string;
  /** The raw mapping as written (for a Markdown card: its front matter). Rules with schema fragments read this. */
  data: ParsedData;
  violations: SchemaViolation[];
  /** Line of a value in the file; falls back to the nearest ancestor. */
  locate(pointer: Pointer): Position;
  /** Set when the document is in another format (src/formats/): what was mapped from where, what was not. */
  imported?: Imported;
}

export interface Governance {
  system?: string;
  version?: string;
  owner?: string;
  status?: LifecycleStatus;
  tier?: RiskTier;
}

export interface Section {
  title: string;
  line: number;
  /** The section's text with placeholders, comments and empty labels removed; '' when it says nothing. */
  content: string;
  /** A heading's own text, before its first subheading, where it has subheadings (cleaned as `content`). */
  own?: string;
  /** The keys of the headings under it, where it has any. */
  subsections?: string[];
}

export interface Metric {
  model?: string;
  task?: string;
  dataset?: string;
  type: string;
  name?: string;
  /** The value as a number where it reads as one ("0.91", "91.2%" as 0.912, the mean of "245.37 +/- 48.64"). */
  value?: number;
  /** The value as the card writes it. */
  text: string;
  pointer: Pointer;
}

export interface ModelCard extends DocumentBase<'model-card'> {
  format: 'markdown' | 'data';
  governance: Governance;
  /** The model's name as the Hub's metadata gives it (`model_name`, else the first `model-index` name). */
  name?: string;
  /** Sections by normalised title (see `sectionKey`). */
  sections: Map<string, Section>;
  metrics: Metric[];
}

export interface ScaleAxis {
  max: number;
  labels?: string[];
}

export interface Rating {
  /** The value on the numeric scale (1..max), when the written value is on the declared scale. */
  value?: number;
  written: unknown;
  pointer: Pointer;
}

export interface Risk {
  index: number;
  id?: string;
  title?: string;
  likelihood: Rating;
  impact: Rating;
  score?: number;
  treatment?: 'avoid' | 'mitigate' | 'transfer' | 'accept';
  controls: string[];
  residual?: { likelihood: Rating; impact: Rating; score?: number };
  owner?: string;
  status?: string;
  reviewDate?: string;
}

export interface RiskAssessment extends DocumentBase<'risk-assessment'> {
  system?: string;
  version?: string;
  tier?: RiskTier;
  date?: string;
  nextReview?: string;
  scale?: { likelihood: ScaleAxis; impact: ScaleAxis; high?: number };
  risks: Risk[];
  acceptance?: { approver: string; date?: string };
}

export interface Impact {
  index: number;
  id?: string;
  type?: 'benefit' | 'harm';
  severity?: string;
  mitigations: string[];
}

export interface ImpactAssessment extends DocumentBase<'impact-assessment'> {
  system?: string;
  version?: string;
  date?: string;
  nextReview?: string;
  impacts: Impact[];
  approval?: { approver: string; date?: string };
}

export type GovernanceDocument = ModelCard | RiskAssessment | ImpactAssessment;

export type DocumentOf<K extends DocumentKind> = Extract<GovernanceDocument, { kind: K }>;

/** A document that could not be parsed at all: the problem says where and why. */
export interface UnreadableDocument {
  kind: DocumentKind;
  path: string;
  problem: Problem;
}
