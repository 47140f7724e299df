import assert from 'node:assert/strict';
import { it } from 'node:test';
import { addVirtualAuthenticator, chromiumOrSkip } from '../helpers/chromium.ts';

it('launches Debian Chromium, opens a page and adds a virtual authenticator', async (t) => {
  const browser = await chromiumOrSkip(t);
  if (!browser) return;
  try {
    const page = await browser.newPage();
    await page.goto('data:text/html,<title>smoke</title><p id="x">hello</p>');
    assert.equal(await page.title(), 'smoke');
    assert.equal(await page.textContent('#x'), 'hello');
    const auth = await addVirtualAuthenticator(page, {
      protocol: 'ctap2',
      transport: 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    });
    assert.match(auth.authenticatorId, /\S/);
    assert.deepEqual(await auth.credentials(), []);
    await auth.remove();
  } finally {
    await browser.close();
  }
});
