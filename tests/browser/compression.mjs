// Opens the SSE example page through `dev` with compression on, in headless Chromium, and reports, for the
// page and its event stream, the Accept-Encoding Chromium sent and the Content-Encoding it got, and when each
// tick appeared on the page.
// Usage: node compression.mjs URL COUNT [ACCEPT_ENCODING]  (the optional third argument replaces Chromium's
// own Accept-Encoding)  → prints {"title": "...", "responses": {"/": {...}, "/events": {...}}, "ticks": [...]}.
import { launch, ticks as pageTicks } from './chromium.mjs';

const [url, countText, accept] = process.argv.slice(2);
const count = Number(countText || 3);
const browser = await launch();
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
  const ticks = await pageTicks(page, url, count);
  await Promise.all(pending);
  console.log(JSON.stringify({ title: await page.title(), responses, ticks }));
} finally {
  await browser.close();
}
