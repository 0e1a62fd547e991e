// One page as it stands: axe-core at WCAG 2.1 AA, screenshots at 1280 and 320 CSS
// pixels, horizontal scrolling at 320, and the layout parts of the contract.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const WIDE = 1280;
export const NARROW = 320;
const HEIGHT = 900;

// Runs axe in the page. The source is evaluated over CDP, which the page's
// Content-Security-Policy (script-src 'self') does not govern, so the page is audited
// with its real policy in force.
async function runAxe(page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const results = await globalThis.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return {
      violations: results.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.map((node) => ({
          target: node.target.join(' '),
          summary: node.failureSummary,
        })),
      })),
      incomplete: results.incomplete.map((item) => item.id),
      // Rules that found something to check and passed: proof that axe really ran.
      passes: results.passes.length,
    };
  }, AXE_TAGS);
}

async function layoutProblems(page, lang) {
  return page.evaluate((expectedLang) => {
    const problems = [];
    const htmlLang = document.documentElement.getAttribute('lang');
    if (htmlLang !== expectedLang) {
      problems.push(`<html lang="${htmlLang}">, expected "${expectedLang}"`);
    }
    const main = document.querySelector('main#main');
    if (!main) problems.push('no <main id="main">');
    const skip = document.querySelector('a[href="#main"]');
    if (!skip) problems.push('no skip link to #main');
    const switchLanguages = new Set([...document.querySelectorAll('a[hreflang]')].map((link) => link.hreflang));
    for (const other of ['fi', 'sv', 'en'].filter((code) => code !== expectedLang)) {
      if (!switchLanguages.has(other)) problems.push(`no language switch link with hreflang="${other}"`);
    }
    return problems;
  }, lang);
}

async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  });
}

// Audits the page in its current state and leaves it at the wide viewport.
export async function auditPage(page, { name, lang, screenshotDir }) {
  const report = { page: name, lang, url: page.url(), problems: [], screenshots: [] };
  await page.setViewportSize({ width: WIDE, height: HEIGHT });
  report.problems.push(...(await layoutProblems(page, lang)));
  const axe = await runAxe(page);
  report.violations = axe.violations;
  report.incomplete = axe.incomplete;
  report.passes = axe.passes;
  for (const width of [WIDE, NARROW]) {
    await page.setViewportSize({ width, height: HEIGHT });
    const file = path.join(screenshotDir, `${name}-${lang}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    report.screenshots.push(file);
  }
  const overflow = await horizontalOverflow(page);
  report.narrow = overflow;
  if (overflow.scrollWidth > overflow.clientWidth) {
    report.problems.push(
      `scrolls sideways at ${NARROW} px: scrollWidth ${overflow.scrollWidth} > clientWidth ${overflow.clientWidth}`,
    );
  }
  await page.setViewportSize({ width: WIDE, height: HEIGHT });
  return report;
}
