import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * axe-core (a dev dependency) run inside a page. Its source is evaluated through the DevTools
 * protocol, which the page's strict CSP does not govern, so the page itself stays unchanged.
 */
let source: string | undefined;

export function axeSource(): string {
  if (source === undefined) {
    const require = createRequire(import.meta.url);
    source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  }
  return source;
}

/** The page's violations as "rule: selector, selector" lines (empty when there are none). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource());
  return page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map(
      (v: { id: string; nodes: Array<{ target: string[] }> }) =>
        `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  });
}
