import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium; .ci/run installs it. Never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
/** CI sets SK_REQUIRE_BROWSER=1, so a missing browser fails there instead of skipping. */
export const runBrowser = existsSync(CHROMIUM) || process.env.SK_REQUIRE_BROWSER === '1';
/** Where browser tests put their screenshots, to be looked at (git-ignored). */
export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** How Chromium logs a request the server answered with `status` (e.g. 401 Unauthorized). */
export function failedResource(status: 400 | 401, reason: 'Bad Request' | 'Unauthorized'): string {
  return `Failed to load resource: the server responded with a status of ${status} (${reason})`;
}

/** Collects console errors and uncaught page errors; `expected` filters out messages a test provokes on purpose. */
export function collectProblems(page: Page, expected: (text: string, url: string) => boolean = () => false): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    // For a failed resource, the message's location is the resource's URL.
    if (message.type() === 'error' && !expected(message.text(), message.location().url)) problems.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  return problems;
}

/** A full-page screenshot `test-results/screenshots/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Opens `url`, signs in through the login form and waits for the live socket. */
export async function signIn(page: Page, url: string, user: { id: string; password: string }): Promise<void> {
  await page.goto(url);
  await page.locator('#user-input').fill(user.id);
  await page.locator('#token-input').fill(user.password);
  await page.locator('#token-submit').click();
  await page.locator('#conn[data-connection-state="connected"]').waitFor();
}
