// Opens the WebSocket example page in headless Chromium; the page connects to the `ws=` URL with the `chat`
// subprotocol. Sends a message, asks for three pushed ticks, and reports the page's log in order.
// Usage: node websocket.mjs PAGE_URL  → prints {"items": ["connected (subprotocol chat)", ...]} as JSON.
import { launch } from './chromium.mjs';

const [url] = process.argv.slice(2);
const browser = await launch();
// The page prepends each new line; oldest first reads like what happened.
const items = (page) => page.$$eval('#log li', (lis) => lis.map((li) => li.textContent).reverse());
const waitFor = (page, text) => page.waitForFunction(
  (t) => [...document.querySelectorAll('#log li')].some((li) => li.textContent === t), text, { timeout: 20000 });
try {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15000 });
  await waitFor(page, 'connected (subprotocol chat)');
  await page.fill('#text', 'hello from chromium');
  await page.press('#text', 'Enter');
  await waitFor(page, 'reply: you said: hello from chromium');
  await page.click('#ticks');
  await waitFor(page, 'reply: sent 3 ticks');
  console.log(JSON.stringify({ items: await items(page) }));
} catch (error) {
  const page = browser.contexts()[0]?.pages()[0];
  const seen = page ? await items(page).catch(() => []) : [];
  console.error(`${error.message}\npage log so far: ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
