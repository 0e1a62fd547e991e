// The audit pass: in each language, the pages a resident meets in order (form, the
// form with an error, confirmation, tracking, tracking without the token, service
// figures), each audited as it stands. A page that cannot be reached is reported with
// the reason, and so are the pages after it that depended on it.

import { auditPage } from './audit.mjs';
import { readReference, sendBypassingBrowserChecks, sendForm } from './form.mjs';
import { LANGUAGES, LOCALES, STREET_LAMP, TITLE, figuresUrl, formUrl } from './site.mjs';

export const PAGES = ['form', 'error', 'confirmation', 'tracking', 'tracking-token', 'figures'];

const ACTION_TIMEOUT_MS = 10_000;

function unreachable(name, lang, reason) {
  return { page: name, lang, url: null, problems: [reason], violations: [], incomplete: [], screenshots: [] };
}

async function journey(browser, base, lang, screenshotDir) {
  const context = await browser.newContext({ locale: LOCALES[lang] });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  const reports = [];
  // Each step brings the page to the state audited under its name; a failed step
  // leaves the ones that need it unreached.
  const steps = {
    form: async () => {
      await page.goto(formUrl(base, lang));
    },
    error: async () => {
      await page.fill('#title', TITLE[lang]);
      await sendBypassingBrowserChecks(page);
      await page.locator('#error-summary').waitFor();
    },
    confirmation: async () => {
      await page.fill('#description', STREET_LAMP[lang]);
      await sendForm(page);
      await readReference(page);
    },
    tracking: async () => {
      const href = await page.locator('a#tracking-link').getAttribute('href');
      await page.goto(new URL(href, page.url()).href);
      await page.locator('#case-status').waitFor();
    },
    // The tracking page reached without its token: it asks for one.
    'tracking-token': async () => {
      const url = new URL(page.url());
      url.searchParams.delete('token');
      await page.goto(url.href);
      await page.locator('#token').waitFor();
    },
    figures: async () => {
      await page.goto(figuresUrl(base, lang));
      await page.locator('a#figures-csv').waitFor();
    },
  };
  const independent = new Set(['figures']);
  let blocked = null;
  for (const name of PAGES) {
    if (blocked && !independent.has(name)) {
      reports.push(unreachable(name, lang, `not reached: ${blocked}`));
      continue;
    }
    try {
      await steps[name]();
      reports.push(await auditPage(page, { name, lang, screenshotDir }));
    } catch (error) {
      const reason = `${name}: ${error.message.split('\n')[0]}`;
      reports.push(unreachable(name, lang, reason));
      blocked ??= reason;
    }
  }
  await context.close();
  return reports;
}

export async function auditAllPages(browser, base, screenshotDir) {
  const reports = [];
  for (const lang of LANGUAGES) {
    reports.push(...(await journey(browser, base, lang, screenshotDir)));
  }
  return reports;
}
