// Starting Debian's Chromium for the tests. Playwright drives it over CDP; it never
// downloads a browser of its own (`npx playwright install` cannot work here).

import { chromium } from 'playwright-core';

export const DEFAULT_EXECUTABLE = '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps trying to reach Google's
// hosts, which this machine's closed network refuses; --no-sandbox because CI runs as
// root. Playwright gives each launch a fresh, empty profile (its own --user-data-dir).
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(executablePath = DEFAULT_EXECUTABLE) {
  return chromium.launch({ executablePath, headless: true, args: FLAGS });
}
