// What a resident does, start to finish. Each scenario runs in a browser context of its
// own and reports every check that failed, not just the first.

import { feedbackForm, looksLikeReference, readReference, sendBypassingBrowserChecks, sendForm } from './form.mjs';
import { LOCALES, ROUTED_STATUS, STREET_LAMP, TITLE, formUrl } from './site.mjs';

const ACTION_TIMEOUT_MS = 10_000;
const ROUTING_WAIT_MS = 20_000;
const ROUTING_POLL_MS = 250;
const COUNT_WAIT_MS = 3_000;
// Enough presses to pass every control of the form once, and come round again.
const TAB_LIMIT = 80;

// Runs one scenario; `body(check)` throws to stop at a failure it cannot go past and
// calls `check(condition, reason)` for one it can.
async function runScenario(browser, name, contextOptions, body) {
  const started = performance.now();
  const reasons = [];
  const check = (condition, reason) => {
    if (!condition) reasons.push(reason);
  };
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  try {
    await body(await context.newPage(), check);
  } catch (error) {
    reasons.push(`stopped: ${error.message.split('\n')[0]}`);
  } finally {
    await context.close();
  }
  const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
  return { name, passed: reasons.length === 0, reasons, seconds };
}

// Presses Tab until the focused element matches `selector`, as a keyboard user would.
// Every element focused on the way is added to `unmarked` (a Set) when it shows no
// focus indicator (no outline and no box shadow).
async function tabTo(page, selector, unmarked) {
  for (let presses = 0; presses < TAB_LIMIT; presses += 1) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate((wanted) => {
      const element = document.activeElement;
      if (!element || element === document.body) return { reached: false, marked: true };
      const style = getComputedStyle(element);
      const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      const name = element.id ? `#${element.id}` : `${element.tagName.toLowerCase()}[${element.getAttribute('href') ?? element.getAttribute('name') ?? ''}]`;
      return { reached: element.matches(wanted), marked: outlined || style.boxShadow !== 'none', name };
    }, selector);
    if (!focus.marked) unmarked.add(focus.name);
    if (focus.reached) return;
  }
  throw new Error(`${selector} cannot be reached with the Tab key (${TAB_LIMIT} presses)`);
}

// Reloads the tracking page until it shows the case handled by a unit.
async function waitForRouted(page, lang) {
  const deadline = Date.now() + ROUTING_WAIT_MS;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await page.locator('#case-status').innerText()).trim();
    if (seen.includes(ROUTED_STATUS[lang])) return seen;
    await page.waitForTimeout(ROUTING_POLL_MS);
    await page.reload();
  }
  throw new Error(`#case-status still says "${seen}" after ${ROUTING_WAIT_MS / 1000} s, never "${ROUTED_STATUS[lang]}"`);
}

function keyboardOnlyFinnish(base) {
  return async (page, check) => {
    await page.goto(formUrl(base, 'fi'));
    const unmarked = new Set();
    await page.keyboard.press('Tab');
    const first = await page.evaluate(() => document.activeElement?.getAttribute('href'));
    check(first === '#main', `the first Tab focuses ${first ?? 'nothing'}, not the skip link to #main`);
    await tabTo(page, '#description', unmarked);
    await page.keyboard.type(STREET_LAMP.fi);
    const count = page.locator('#description-count');
    check((await count.getAttribute('aria-live')) === 'polite', '#description-count is not aria-live="polite"');
    // The count may wait for a pause in typing before it speaks.
    const typed = String(STREET_LAMP.fi.length);
    const counted = await page
      .locator('#description-count', { hasText: typed })
      .waitFor({ timeout: COUNT_WAIT_MS })
      .then(() => true, () => false);
    check(
      counted,
      `#description-count says "${await count.innerText()}" ${COUNT_WAIT_MS} ms after ${typed} characters were typed`,
    );
    await tabTo(page, '#contact_email', unmarked);
    await page.keyboard.type('maija@example.com');
    await tabTo(page, 'form:has(#description) button[type="submit"]', unmarked);
    await page.keyboard.press('Space');

    const reference = await readReference(page);
    check(looksLikeReference(reference), `#reference says "${reference}"`);
    check(
      (await page.locator('[role="status"] #reference').count()) === 1,
      'the reference is not in a role="status" message',
    );
    await tabTo(page, 'a#tracking-link', unmarked);
    check(unmarked.size === 0, `no visible focus on ${[...unmarked].join(', ')}`);
    await page.keyboard.press('Enter');
    await page.locator('#case-status').waitFor();
    check(
      new URL(page.url()).pathname === `/track/${reference}`,
      `the tracking link led to ${page.url()}, not /track/${reference}`,
    );
    await waitForRouted(page, 'fi');
  };
}

function swedishErrorKeepsInput(base) {
  return async (page, check) => {
    await page.goto(formUrl(base, 'sv'));
    await page.fill('#title', TITLE.sv);
    await page.fill('#contact_name', 'Maja Mattsson');
    await sendBypassingBrowserChecks(page);

    const summary = page.locator('#error-summary');
    await summary.waitFor();
    check((await summary.getAttribute('role')) === 'alert', '#error-summary has no role="alert"');
    check((await summary.locator('h2, h3').count()) > 0, '#error-summary has no heading');
    check(
      (await summary.locator('a[href="#description"]').count()) === 1,
      '#error-summary has no link to #description',
    );
    const message = page.locator('#description-error');
    check((await message.count()) === 1 && (await message.isVisible()), '#description-error is not shown');
    if ((await message.count()) === 1) {
      check((await message.innerText()).trim() !== '', '#description-error is empty');
    }
    const describedBy = ((await page.getAttribute('#description', 'aria-describedby')) ?? '').split(/\s+/);
    check(describedBy.includes('description-error'), `#description aria-describedby="${describedBy.join(' ')}"`);
    check((await page.inputValue('#title')) === TITLE.sv, 'the title was not kept');
    check((await page.inputValue('#contact_name')) === 'Maja Mattsson', 'the contact name was not kept');
    const lang = await page.getAttribute('html', 'lang');
    check(lang === 'sv', `the error page is <html lang="${lang}">`);
  };
}

function formWithoutJavaScript(base) {
  return async (page, check) => {
    await page.goto(formUrl(base, 'en'));
    // form.js marks <html> with the class "js"; with scripts off it must not be there.
    const rootClass = (await page.getAttribute('html', 'class')) ?? '';
    check(!rootClass.split(/\s+/).includes('js'), 'scripts ran although JavaScript is off');
    check((await feedbackForm(page).count()) === 1, 'no feedback form');
    await page.fill('#description', STREET_LAMP.en);
    await page.fill('#title', TITLE.en);
    await sendForm(page);
    const reference = await readReference(page);
    check(looksLikeReference(reference), `#reference says "${reference}"`);
    await page.locator('a#tracking-link').click();
    await page.locator('#case-status').waitFor();
  };
}

// The main content of the tracking page for `reference` with `token`, with the
// reference itself blanked out (a page may name the reference it was asked about).
async function trackingAnswer(page, base, reference, token) {
  const url = new URL(`/track/${reference}`, base);
  if (token !== undefined) url.searchParams.set('token', token);
  const response = await page.goto(url.href);
  const text = await page.locator('main#main').innerText();
  return { status: response?.status(), text: text.replaceAll(reference, '<reference>') };
}

function trackingWithoutToken(base) {
  return async (page, check) => {
    await page.goto(formUrl(base, 'en'));
    await page.fill('#description', STREET_LAMP.en);
    await sendForm(page);
    const reference = await readReference(page);

    for (const [token, what] of [[undefined, 'no token'], ['wrong-token', 'a wrong token']]) {
      await trackingAnswer(page, base, reference, token);
      check((await page.locator('#token').count()) === 1, `with ${what} there is no #token input`);
      check((await page.locator('#case-status').count()) === 0, `with ${what} #case-status is shown`);
      const body = await page.locator('body').innerText();
      check(!body.includes('Mannerheimintie'), `with ${what} the page shows the description`);
    }
    const wrongToken = await trackingAnswer(page, base, reference, 'wrong-token');
    const unknown = await trackingAnswer(page, base, 'HEL-2099-999999', 'wrong-token');
    check(
      wrongToken.status === unknown.status && wrongToken.text === unknown.text,
      `a wrong token (HTTP ${wrongToken.status}) and an unknown reference (HTTP ${unknown.status}) answer differently`,
    );
  };
}

export async function runScenarios(browser, base) {
  return [
    await runScenario(
      browser,
      'keyboard-only Finnish form: submit, reference, tracking link, routed',
      { locale: LOCALES.fi },
      keyboardOnlyFinnish(base),
    ),
    await runScenario(
      browser,
      'Swedish form with an empty description: error by the field and in the summary, input kept',
      { locale: LOCALES.sv },
      swedishErrorKeepsInput(base),
    ),
    await runScenario(
      browser,
      'English form with JavaScript off: submit, reference, tracking page',
      { locale: LOCALES.en, javaScriptEnabled: false },
      formWithoutJavaScript(base),
    ),
    await runScenario(
      browser,
      'tracking page without a valid token: asks for it, reveals nothing, same answer for an unknown reference',
      { locale: LOCALES.en },
      trackingWithoutToken(base),
    ),
  ];
}
