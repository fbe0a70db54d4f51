import { describe, expect, it } from 'vitest';
import {
  CodeownersError,
  ownersOf,
  ownerTeams,
  parseCodeowners,
  readCodeowners,
  ruleFor,
} from '../src/codeowners.js';
import { MemorySource } from '../src/source.js';

const owns = (pattern: string, path: string) =>
  ruleFor(parseCodeowners(`${pattern} @owner`, 'CODEOWNERS'), path) !== undefined;

describe('CODEOWNERS patterns, matched as GitHub matches them', () => {
  // Pattern → paths it owns (true) or not (false): gitignore rules, with GitHub's exceptions.
  const table: [string, Record<string, boolean>][] = [
    // No slash: any depth, and everything under a folder of that name.
    ['*.py', { 'train.py': true, 'models/churn/train.py': true, 'train.pyc': false }],
    ['models', { models: true, 'models/a.py': true, 'src/models/a.py': true, 'modelsx/a.py': false }],
    // A leading slash anchors at the root.
    ['/models', { 'models/a.py': true, 'src/models/a.py': false }],
    // A slash in the middle anchors too.
    ['models/churn', { 'models/churn/a.py': true, 'x/models/churn/a.py': false }],
    // A trailing slash is a folder: everything under it, never a file of that name; at any depth.
    ['apps/', { 'apps/a.ts': true, 'src/apps/x/a.ts': true, apps: false }],
    ['/build/logs/', { 'build/logs/a.log': true, 'build/logs/x/a.log': true, 'x/build/logs/a.log': false }],
    // `*` does not cross a slash; a lone `*` as the last segment owns only files directly there.
    ['docs/*', { 'docs/a.md': true, 'docs/guide/a.md': false }],
    ['/*', { 'README.md': true, 'src/a.ts': false }],
    ['*', { 'README.md': true, 'a/b/c.ts': true, '.github/workflows/x.yml': true }],
    ['models/*.md', { 'models/a.md': true, 'models/x/a.md': false }],
    ['models/*/train.py', { 'models/churn/train.py': true, 'models/a/b/train.py': false }],
    // `**` crosses folders.
    ['**/logs', { logs: true, 'a/b/logs/x': true }],
    ['models/**/card.md', { 'models/card.md': true, 'models/a/b/card.md': true, 'x/models/card.md': false }],
    // `?` is one character, never a slash.
    ['v?.txt', { 'v1.txt': true, 'v10.txt': false }],
    // Brackets are characters of the path (GitHub has no ranges): Next.js's dynamic routes.
    ['/app/[id]/page.tsx', { 'app/[id]/page.tsx': true, 'app/i/page.tsx': false }],
    // An escaped space is part of the pattern.
    ['my\\ docs/', { 'my docs/a.md': true, 'my/a.md': false }],
    // Case matters in paths.
    ['/Models/', { 'Models/a.py': true, 'models/a.py': false }],
    // Dots are characters: dotfiles are paths like any other.
    ['.github/', { '.github/CODEOWNERS': true, 'x/.github/a.yml': true }],
  ];
  for (const [pattern, paths] of table)
    it(`${pattern}`, () => {
      for (const [path, expected] of Object.entries(paths))
        expect([path, owns(pattern, path)]).toEqual([path, expected]);
    });

  it('the last matching line wins, and a line without owners leaves its paths without any', () => {
    const file = parseCodeowners(
      ['*       @acme/platform', 'models/ @gov-lead  # the models', 'models/**/*.md', ''].join('\n'),
      '.github/CODEOWNERS',
    );
    expect(ownersOf(file, 'Dockerfile')).toEqual(['@acme/platform']);
    expect(ownersOf(file, 'models/churn/train.py')).toEqual(['@gov-lead']);
    expect(ownersOf(file, 'models/churn/MODEL_CARD.md')).toEqual([]);
    expect(ruleFor(file, 'models/churn/MODEL_CARD.md')?.line).toBe(3);
    expect(ownerTeams(file, ['Dockerfile', 'models/a.py'])).toEqual(['acme/platform']);
  });
});

describe('a CODEOWNERS file GitHub would not read fully is refused, naming the line', () => {
  it.each([
    [
      'models/ @gov-lead gov-lead',
      1,
      '"gov-lead" is not an owner: write @user, @org/team or an e-mail address',
    ],
    ['# owners\n!models/churn @gov-lead', 2, 'GitHub does not support negation'],
    ['/ @gov-lead', 1, '"/" matches no file'],
  ])('%j', (text, line, reason) => {
    let error: unknown;
    try {
      parseCodeowners(text, 'docs/CODEOWNERS');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodeownersError);
    expect(error).toMatchObject({ file: 'docs/CODEOWNERS', line });
    expect((error as Error).message).toContain(`docs/CODEOWNERS:${line}: `);
    expect((error as Error).message).toContain(reason);
  });

  it('comments, blank lines, CRLF line ends, inline comments and e-mail owners are fine', () => {
    const file = parseCodeowners(
      '# comment\r\n\r\n*.py @a @org/team-x dev@acme.example # and a comment\r\n',
      'CODEOWNERS',
    );
    expect(file.rules.map((r) => [r.pattern, r.owners, r.line])).toEqual([
      ['*.py', ['@a', '@org/team-x', 'dev@acme.example'], 3],
    ]);
  });

  it('never throws anything but a CodeownersError, whatever the text', () => {
    const odd = [
      '\u0000',
      '*\\',
      '\\',
      '**',
      '***',
      '/**/',
      '[',
      ']',
      '{a,b}',
      '@',
      '#',
      '\\#x @a',
      'a\\ ',
      '\u200b @a',
    ];
    for (const text of [...odd, odd.join('\n'), odd.map((p) => `${p} @owner`).join('\n')]) {
      try {
        // A parsed file can always be asked about any path.
        ruleFor(parseCodeowners(text, 'CODEOWNERS'), 'a/b.py');
      } catch (error) {
        if (!(error instanceof CodeownersError)) throw error;
      }
    }
  });
});

describe('reading CODEOWNERS at a revision', () => {
  it('takes the first of GitHub’s locations that exists', async () => {
    const source = new MemorySource(
      { CODEOWNERS: '* @root', 'docs/CODEOWNERS': '* @docs', '.github/CODEOWNERS': '* @github' },
      'main',
    );
    const read = await readCodeowners(source);
    expect(read.codeowners?.file).toBe('.github/CODEOWNERS');
    expect(ownersOf(read.codeowners!, 'x')).toEqual(['@github']);
    const docs = await readCodeowners(new MemorySource({ 'docs/CODEOWNERS': '* @docs' }, 'main'));
    expect(docs.codeowners?.file).toBe('docs/CODEOWNERS');
  });

  it('says why there is none to use: absent, or refused with the file and line', async () => {
    expect(await readCodeowners(new MemorySource({}, 'the base branch main'))).toEqual({
      problem:
        'there is no CODEOWNERS file on the base branch main (.github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS): add one, or remove the codeowners requirement',
    });
    expect(await readCodeowners(new MemorySource({ CODEOWNERS: '* @a\nsrc/ owner' }, 'main'))).toEqual({
      problem: 'CODEOWNERS:2: "owner" is not an owner: write @user, @org/team or an e-mail address (on main)',
    });
  });
});
