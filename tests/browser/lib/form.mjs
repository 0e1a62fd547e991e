// Filling in and sending the feedback form the way a test needs it.

// The feedback form: the one holding the description (the page may have others).
export function feedbackForm(page) {
  return page.locator('form:has(#description)');
}

// Sends the form as it stands. The browser's own checks (`required`) are switched off
// first, because what is under test is the server's answer to bad input: its error
// summary and messages, which a resident also gets where the browser does not check.
export async function sendBypassingBrowserChecks(page) {
  const form = feedbackForm(page);
  await form.evaluate((element) => {
    element.noValidate = true;
  });
  await form.locator('button[type="submit"]').click();
}

export async function sendForm(page) {
  await feedbackForm(page).locator('button[type="submit"]').click();
}

// The reference on the confirmation page, once it is there.
export async function readReference(page) {
  const reference = page.locator('#reference');
  await reference.waitFor();
  return (await reference.innerText()).trim();
}

export function looksLikeReference(text) {
  return /^HEL-\d{4}-\d{6,}$/.test(text);
}
