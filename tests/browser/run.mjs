// Browser tests of palaute's resident pages in Debian's headless Chromium.
//
//   node tests/browser/run.mjs <base-url> [screenshot-dir]
//
// Prints one JSON document on stdout: the scenarios (passed, reasons, seconds) and
// every page in every language (axe violations, layout problems, screenshots). It
// exits 0 whenever it could run, whatever the results: the caller (tests/browser.rs)
// judges them. Progress goes to stderr. PALAUTE_CHROMIUM overrides /usr/bin/chromium.

import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { DEFAULT_EXECUTABLE, launchChromium } from './lib/chromium.mjs';
import { auditAllPages } from './lib/journeys.mjs';
import { runScenarios } from './lib/scenarios.mjs';

function usage(message) {
  process.stderr.write(`${message}\nusage: node tests/browser/run.mjs <base-url> [screenshot-dir]\n`);
  process.exit(2);
}

async function main() {
  const [base, dirArgument] = process.argv.slice(2);
  if (!base) usage('missing the base URL');
  try {
    new URL(base);
  } catch {
    usage(`not a URL: ${base}`);
  }
  const screenshotDir = path.resolve(
    dirArgument ?? process.env.PALAUTE_SCREENSHOT_DIR ?? 'target/browser-screenshots',
  );
  mkdirSync(screenshotDir, { recursive: true });

  const started = performance.now();
  const browser = await launchChromium(process.env.PALAUTE_CHROMIUM ?? DEFAULT_EXECUTABLE);
  try {
    const scenarios = await runScenarios(browser, base);
    for (const scenario of scenarios) {
      process.stderr.write(`${scenario.passed ? 'pass' : 'FAIL'} ${scenario.name} (${scenario.seconds} s)\n`);
    }
    const pages = await auditAllPages(browser, base, screenshotDir);
    const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
    process.stdout.write(`${JSON.stringify({ browser: browser.version(), seconds, screenshotDir, scenarios, pages })}\n`);
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(`browser tests could not run: ${error.stack ?? error}\n`);
  process.exit(1);
});
