// What the CLI's bundles (scripts/build-cli.js) and the Action's (scripts/bundle.js) do alike to start sooner.
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Libraries that a library of the bundle imports but a check seldom calls, and whose loading alone costs every
 * start: each is bundled behind stubs of the functions named here, and loaded (its top-level code run) at the
 * first call. markdown-it decodes HTML entities only in link references and inline text (aims-gate reads a
 * card's block structure only); `entities` builds its decoding tables from a 50 KB string when it is loaded.
 */
const LAZY = { entities: { module: 'entities/lib/decode.js', names: ['decodeHTML', 'decodeHTMLStrict'] } };

export const lazy = {
  name: 'lazy',
  setup(builder) {
    const filter = new RegExp(`^(${Object.keys(LAZY).join('|')})$`);
    builder.onResolve({ filter }, (args) =>
      args.namespace === 'lazy' ? undefined : { path: args.path, namespace: 'lazy' },
    );
    builder.onLoad({ filter: /.*/, namespace: 'lazy' }, ({ path }) => ({
      contents: [
        'let loaded;',
        `const library = () => (loaded ??= require(${JSON.stringify(LAZY[path].module)}));`,
        ...LAZY[path].names.map((name) => `export const ${name} = (...args) => library().${name}(...args);`),
      ].join('\n'),
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
