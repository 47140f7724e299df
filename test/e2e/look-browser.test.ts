import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Locale } from '../../src/config.ts';
import { translator } from '../../src/i18n/index.ts';
import { axeViolations } from '../helpers/axe.ts';
import { chromiumSkipReason, launchRequiredChromium } from '../helpers/chromium.ts';
import { backendName } from '../helpers/db.ts';
import { OATHTOOL, oathtoolCode, toolAvailable } from '../helpers/tools.ts';
import {
  go,
  newTab,
  PASSWORD,
  startTour,
  type Tour,
  tourAdmin,
  tourPortal,
  tourReset,
} from '../helpers/tour.ts';

/*
 * Every page of sign-in, reset, the portal and the admin console, in English and Japanese, in
 * Chromium: at 375 px wide nothing makes the page wider than the screen (no sideways scrolling), at
 * 1280 px neither; axe-core finds no accessibility violation; dates never break inside. The tour
 * (test/helpers/tour.ts) waits for each page's load and each state it needs, never for a time.
 */

const WIDTHS = [375, 1280];

const skip = chromiumSkipReason() ?? (toolAvailable(OATHTOOL) ? undefined : 'oathtool missing');

describe(`the look of every page in Chromium (${backendName})`, { skip }, () => {
  let tour: Tour;
  let browser: Browser;
  const seen = new Map<string, string[]>();

  before(async () => {
    browser = await launchRequiredChromium();
    tour = await startTour();
  });
  after(async () => {
    await browser?.close();
    await tour?.stop();
  });

  /** At each width: no horizontal overflow; times don't wrap; then axe-core on the page as it is. */
  function checker(locale: Locale) {
    return async (page: Page, name: string) => {
      const problems: string[] = [];
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        const m = await page.evaluate(() => {
          const doc = document.documentElement;
          const wide = Array.from(document.querySelectorAll('body *'))
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .filter(
              (el) => !el.closest('table') || getComputedStyle(el.closest('table')!).overflowX === 'visible',
            )
            .slice(0, 3)
            .map(
              (el) =>
                `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} (${Math.round(el.getBoundingClientRect().right)}px)`,
            );
          const wrapped = Array.from(document.querySelectorAll('time')).filter(
            (t) => t.getClientRects().length > 1,
          ).length;
          return { scroll: doc.scrollWidth, inner: window.innerWidth, wide, wrapped };
        });
        if (m.scroll > m.inner)
          problems.push(`${width}px: scrollWidth ${m.scroll} > ${m.inner} (${m.wide.join(', ')})`);
        if (m.wrapped) problems.push(`${width}px: ${m.wrapped} dates wrap`);
      }
      await page.setViewportSize({ width: 375, height: 900 });
      const violations = await axeViolations(page);
      if (violations.length) problems.push(`axe: ${violations.join(' | ')}`);
      await page.setViewportSize({ width: 1280, height: 900 });
      const key = `${locale} ${name} ${new URL(page.url()).pathname}`;
      seen.set(key, problems);
    };
  }

  const report = (prefix: string) => {
    const bad = [...seen]
      .filter(([k, p]) => k.startsWith(prefix) && p.length)
      .map(([k, p]) => `${k}: ${p.join('; ')}`);
    return bad;
  };

  for (const locale of ['en', 'ja'] as const) {
    it(`sign-in, the portal and its error page fit 375 px and pass axe (${locale})`, async () => {
      await tourPortal(tour, browser, locale, checker(locale));
      const pages = [...seen.keys()].filter((k) => k.startsWith(`${locale} `));
      assert.ok(pages.length >= 10, `pages checked: ${pages.join(', ')}`);
      assert.deepEqual(report(`${locale} `), []);
    });

    it(`every reset step fits 375 px and passes axe (${locale})`, async () => {
      const before = seen.size;
      await tourReset(tour, browser, locale, checker(locale));
      assert.ok(seen.size - before >= 3, 'identify, method choice, code and the next step were checked');
      assert.deepEqual(report(`${locale} reset`), []);
    });

    it(`every admin console page fits 375 px and passes axe (${locale})`, async () => {
      const before = seen.size;
      await tourAdmin(tour, browser, locale, checker(locale));
      assert.ok(seen.size - before >= 10, `admin pages checked: ${seen.size - before}`);
      assert.deepEqual(report(`${locale} admin`), []);
    });
  }
  /**
   * Presses Tab until the focused element matches the selector (at most 60 times) and checks that
   * the focus can be seen: an outline or a ring, never nothing.
   */
  async function tabTo(page: Page, selector: string) {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const hit = await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);
      if (hit) {
        const visible = await page.evaluate(() => {
          const st = getComputedStyle(document.activeElement!);
          return st.outlineStyle !== 'none' && st.outlineWidth !== '0px' ? true : st.boxShadow !== 'none';
        });
        assert.ok(visible, `the focus on ${selector} is visible`);
        return;
      }
    }
    assert.fail(`Tab never reached ${selector} on ${page.url()}`);
  }

  const focusedIs = (page: Page, selector: string) =>
    page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);

  it('signs in and adds a method with the keyboard only', async () => {
    const { context, page } = await newTab(browser, 'en', 375);
    try {
      await go(page, () => page.goto(`${tour.srv.issuer}/my/security-info`));
      assert.ok(await focusedIs(page, '#username'), 'the user ID field has the focus on load');
      await page.keyboard.type('noah');
      await tabTo(page, '#password');
      await page.keyboard.type(PASSWORD);
      await go(page, () => page.keyboard.press('Enter'));
      assert.equal(new URL(page.url()).pathname, '/my/security-info');
      await tabTo(page, 'a[href="/my/security-info/add/app"]');
      await go(page, () => page.keyboard.press('Enter'));
      assert.equal(new URL(page.url()).pathname, '/my/security-info/add/app');
      const secret = ((await page.locator('code[translate="no"]').first().textContent()) ?? '').replace(
        /\s+/g,
        '',
      );
      tour.secrets.noah = secret;
      await tabTo(page, 'input[name="code"]');
      await page.keyboard.type(oathtoolCode(secret, tour.clock.now()));
      await go(page, () => page.keyboard.press('Enter'));
      tour.clock.advance(30_000);
      assert.equal(new URL(page.url()).pathname, '/my/security-info');
      assert.equal(await page.locator('table.methods tbody tr').count(), 1, 'the app is listed');
    } finally {
      await context.close();
    }
  });

  it('resets a password with the keyboard only', async () => {
    const { context, page } = await newTab(browser, 'ja', 375);
    try {
      await go(page, () => page.goto(`${tour.srv.issuer}/reset`));
      assert.ok(await focusedIs(page, '#username'), 'the user ID field has the focus on load');
      await page.keyboard.type('noah');
      // Enter in the field: the proof of work started on load, and the submit waits for it.
      await go(page, () => page.keyboard.press('Enter'));
      assert.match(new URL(page.url()).pathname, /^\/reset\/verify/, 'the method choice or the only method');
      if (new URL(page.url()).pathname === '/reset/verify') {
        await tabTo(page, 'a[href="/reset/verify/app"]');
        await go(page, () => page.keyboard.press('Enter'));
      }
      await tabTo(page, 'input[name="code"]');
      await page.keyboard.type(oathtoolCode(tour.secrets.noah, tour.clock.now()));
      await go(page, () => page.keyboard.press('Enter'));
      tour.clock.advance(30_000);
      assert.equal(new URL(page.url()).pathname, '/reset/password');
      await tabTo(page, 'input[name="password"]');
      await page.keyboard.type('lantern orchard velvet 42');
      await tabTo(page, 'input[name="confirm"]');
      await page.keyboard.type('lantern orchard velvet 42');
      await go(page, () => page.keyboard.press('Enter'));
      assert.equal(
        (await page.locator('h1').first().textContent())?.trim(),
        translator('ja')('reset.done.title'),
      );
    } finally {
      await context.close();
    }
  });
});
