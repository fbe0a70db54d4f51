// What the CLI's bundles (scripts/build-cli.js) and the Action's (scripts/bundle.js) do alike to start sooner.
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Libraries that a library of the bundle loads but a check seldom uses, and whose loading alone costs every
 * start: each is bundled behind a stub, and loaded (its top-level code run) when first used. `functions`: stubs
 * of these named exports, loading it at the first call. `instance`: it exports a class, and the stub's instance
 * makes the real one at the first use of one of its members.
 */
const LAZY = {
  // markdown-it decodes HTML entities only in link references and inline text (aims-gate reads a card's block
  // structure only); `entities` builds its decoding tables from a 50 KB string when it is loaded.
  entities: { module: 'entities/lib/decode.js', functions: ['decodeHTML', 'decodeHTMLStrict'] },
  // Each markdown-it makes a linkify-it, which compiles some thirty regular expressions, for its `linkify`
  // option, which aims-gate leaves off.
  'linkify-it': { module: 'linkify-it', instance: true },
};

const stub = ({ module, functions = [], instance }) =>
  [
    'let loaded;',
    `const library = () => (loaded ??= require(${JSON.stringify(module)}));`,
    ...functions.map((name) => `export const ${name} = (...args) => library().${name}(...args);`),
    ...(instance
      ? [
          'export default function Lazy(...args) {',
          '  let made;',
          '  const real = () => (made ??= new (library())(...args));',
          '  return new Proxy({}, {',
          "    get: (_, key) => (typeof real()[key] === 'function' ? real()[key].bind(real()) : real()[key]),",
          '    set: (_, key, value) => Reflect.set(real(), key, value),',
          '  });',
          '}',
        ]
      : []),
  ].join('\n');

export const lazy = {
  name: 'lazy',
  setup(builder) {
    const filter = new RegExp(`^(${Object.keys(LAZY).join('|')})$`);
    builder.onResolve({ filter }, (args) =>
      args.namespace === 'lazy' ? undefined : { path: args.path, namespace: 'lazy' },
    );
    builder.onLoad({ filter: /.*/, namespace: 'lazy' }, ({ path }) => ({
      contents: stub(LAZY[path]),
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

/**
 * esbuild leaves a few characters beyond ASCII in regular expressions; one is enough for V8 to hold the whole
 * source two bytes a character, slower to decode and read. Escaped, they mean the same.
 */
export const asciiOnly = (text) =>
  text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
