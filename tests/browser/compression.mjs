// Opens the SSE example page through `dev` with compression on, in headless Chromium, and reports, for the
// page and its event stream, the Accept-Encoding Chromium sent and the Content-Encoding it got, and when each
// tick appeared on the page.
// Usage: node compression.mjs URL COUNT [ACCEPT_ENCODING]  (the optional third argument replaces Chromium's
// own Accept-Encoding)  → prints {"title": "...", "responses": {"/": {...}, "/events": {...}}, "ticks": [...]}.
import { chromium } from 'playwright-core';

const [url, countText, accept] = process.argv.slice(2);
const count = Number(countText || 3);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  if (accept) await page.setExtraHTTPHeaders({ 'Accept-Encoding': accept });
  const responses = {};
  const pending = [];
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    pending.push((async () => {
      const headers = await response.allHeaders();
      const sent = await response.request().allHeaders();
      responses[path] = {
        status: response.status(),
        acceptEncoding: sent['accept-encoding'] ?? null,
        contentEncoding: headers['content-encoding'] ?? null,
        vary: headers['vary'] ?? null,
      };
    })());
  });
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
  await Promise.all(pending);
  const ticks = await page.evaluate(() => window.__ticks);
  console.log(JSON.stringify({ title: await page.title(), responses, ticks }));
} finally {
  await browser.close();
}
