// What the browser scripts share: Debian's Chromium started headless the way it works on these machines
// (no background networking, no QUIC), and a recorder of the SSE example page's ticks.
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Opens `url` and waits for `count` ticks (<li> elements) to appear; returns each tick's text and when it
// appeared, in the page's own clock, so the timing is the browser's view.
export async function ticks(page, url, count) {
  await page.addInitScript(() => {
    window.__ticks = [];
    new MutationObserver((mutations) => {
      for (const m of mutations) for (const node of m.addedNodes) {
        if (node.nodeName === 'LI') window.__ticks.push({ text: node.textContent, at_ms: performance.now() });
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15000 });
  await page.waitForFunction((n) => window.__ticks.length >= n, count, { timeout: 30000 });
  return page.evaluate(() => window.__ticks);
}
