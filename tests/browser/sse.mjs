// Opens the SSE example page in headless Chromium and reports when each tick appeared on the page.
// Usage: node sse.mjs URL COUNT  → prints {"ticks": [{"text": "...", "at_ms": N}, ...], "status": "..."} as JSON.
import { launch, ticks as pageTicks } from './chromium.mjs';

const [url, countText] = process.argv.slice(2);
const count = Number(countText || 3);
const browser = await launch();
try {
  const page = await browser.newPage();
  const ticks = await pageTicks(page, url, count);
  const status = await page.evaluate(() => document.body.innerText.slice(0, 300));
  console.log(JSON.stringify({ ticks, status }));
} finally {
  await browser.close();
}
