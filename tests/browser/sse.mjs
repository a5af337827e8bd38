// Opens the SSE example page in headless Chromium and reports when each tick appeared on the page.
// Usage: node sse.mjs URL COUNT  → prints {"ticks": [{"text": "...", "at_ms": N}, ...], "status": "..."} as JSON.
import { chromium } from 'playwright-core';

const [url, countText] = process.argv.slice(2);
const count = Number(countText || 3);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  // Record when each <li> is added, in the page's own clock, so the timing is the browser's view.
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
  const ticks = await page.evaluate(() => window.__ticks);
  const status = await page.evaluate(() => document.body.innerText.slice(0, 300));
  console.log(JSON.stringify({ ticks, status }));
} finally {
  await browser.close();
}
