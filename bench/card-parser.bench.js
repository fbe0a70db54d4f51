// Model cards nobody here wrote: adversarial shapes through the card parser, 1 to 5 MB.
import { bundled, json } from './lib.js';

export const title =
  'model-card parser on adversarial input (past the 1 MiB file limit, to show it is linear)';

export async function run() {
  const parse = json([await bundled('card-parse')]);
  for (const [shape, bySize] of Object.entries(parse)) {
    const perMb = bySize['5MB'] / 5;
    console.log(
      `  ${shape.padEnd(22)} 1 MB ${bySize['1MB'].toFixed(0).padStart(5)} ms, 5 MB ${bySize['5MB'].toFixed(0).padStart(5)} ms: ${perMb.toFixed(0)} ms per MB, 5 MB / 1 MB = ${(bySize['5MB'] / bySize['1MB']).toFixed(1)} (linear: 5; aim: well under 1,000 ms per MB)`,
    );
  }
}
