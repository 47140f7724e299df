import fs from 'node:fs';
import type { TestContext } from 'node:test';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no downloaded browser). WebAuthn runs against a
 * virtual authenticator from the DevTools protocol, so no hardware and no UI are needed.
 */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumAvailable(): boolean {
  return fs.existsSync(CHROMIUM);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/**
 * Launches Chromium for a test, or skips the test with a printed notice when it is not installed.
 * Under TOBIRA_REQUIRE_TOOLS=1 (CI installs it) a missing Chromium fails the test instead.
 * The caller closes the browser it gets.
 */
export async function chromiumOrSkip(t: TestContext): Promise<Browser | undefined> {
  if (!chromiumAvailable()) {
    if (process.env.TOBIRA_REQUIRE_TOOLS === '1') {
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    }
    const notice = `${CHROMIUM} not found: skipping (apt-get install chromium to run this test)`;
    process.stderr.write(`NOTICE: ${notice}\n`);
    t.skip(notice);
    return undefined;
  }
  return launchChromium();
}

/**
 * For a suite that shares one browser across its tests (launched in `before`, closed in `after`):
 * the reason to skip the whole suite, printed as a notice, when Chromium is not installed; undefined
 * when it is, or when TOBIRA_REQUIRE_TOOLS=1 (then `launchRequiredChromium` fails the suite).
 */
export function chromiumSkipReason(): string | undefined {
  if (chromiumAvailable() || process.env.TOBIRA_REQUIRE_TOOLS === '1') return undefined;
  const notice = `${CHROMIUM} not found: skipping (apt-get install chromium to run this test)`;
  process.stderr.write(`NOTICE: ${notice}\n`);
  return notice;
}

/** Launches Chromium for a suite that was not skipped; a missing binary is a clear failure. */
export async function launchRequiredChromium(): Promise<Browser> {
  if (!chromiumAvailable()) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  return launchChromium();
}

export interface VirtualAuthenticatorOptions {
  protocol?: 'ctap2' | 'u2f';
  /** 'usb' behaves like a security key, 'internal' like a platform authenticator (Touch ID, Hello). */
  transport: 'usb' | 'internal' | 'nfc' | 'ble' | 'hybrid';
  hasResidentKey: boolean;
  hasUserVerification: boolean;
  isUserVerified: boolean;
}

export interface VirtualAuthenticator {
  authenticatorId: string;
  cdp: CDPSession;
  /** The credentials the authenticator holds (ids in standard base64, as CDP reports them). */
  credentials(): Promise<
    Array<{ credentialId: string; isResidentCredential: boolean; signCount: number; userHandle?: string }>
  >;
  /** Simulates the user verifying (or failing to) on later ceremonies. */
  setUserVerified(verified: boolean): Promise<void>;
  remove(): Promise<void>;
}

/** Adds a CTAP2 virtual authenticator to a page; presence is simulated automatically. */
export async function addVirtualAuthenticator(
  page: Page,
  opts: VirtualAuthenticatorOptions,
): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: opts.protocol ?? 'ctap2',
      transport: opts.transport,
      hasResidentKey: opts.hasResidentKey,
      hasUserVerification: opts.hasUserVerification,
      isUserVerified: opts.isUserVerified,
      automaticPresenceSimulation: true,
    },
  });
  return {
    authenticatorId,
    cdp,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    setUserVerified: async (isUserVerified) => {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
    },
    remove: async () => {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}
