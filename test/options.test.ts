import { describe, expect, it } from 'vitest';
import { choice } from '../src/cli/options.js';

describe('choice (an option that takes one of a few words)', () => {
  it('takes the word as given', () => {
    expect(choice('format', 'html', ['markdown', 'html', 'pdf'])).toBe('html');
  });

  it('takes md for markdown where markdown is a choice, and nowhere else', () => {
    expect(choice('format', 'md', ['markdown', 'html', 'pdf'])).toBe('markdown');
    expect(() => choice('format', 'md', ['text', 'json'])).toThrow(
      '--format must be one of text, json, not "md"',
    );
  });

  it('names the closest choice for a misspelt one', () => {
    expect(() => choice('format', 'jsn', ['text', 'json', 'sarif'])).toThrow(
      '--format must be one of text, json, sarif, not "jsn" (did you mean "json"?)',
    );
    expect(() => choice('format', 'yaml', ['text', 'json'])).toThrow(/not "yaml"$/);
  });
});
