// Opens an HTML file in real headless Chromium (Debian's, driven by puppeteer-core, which
// downloads nothing) and reports what a person opening it would see: errors in the console, how
// many charts were drawn and whether their canvases hold any ink, a screenshot, and how long it took.
import puppeteer from 'puppeteer-core';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolPath } from '../../src/config/toolchain';

export interface OpenedPage {
  consoleErrors: string[];
  /** charts the page says it drew */
  charts: number;
  /** canvases with at least one painted pixel, and all canvases */
  inkedCanvases: number;
  canvases: number;
  /** per colour asked for (#rrggbb): canvases holding at least one pixel of exactly that colour */
  canvasesWithColor: Record<string, number>;
  /** from navigation start until every chart was drawn */
  renderMs: number;
  title: string;
  text: string;
}

/** Runs in the page (a string: this project's TypeScript has no DOM types). */
const INSPECT = (colors: readonly string[]): string => `((colors) => {
  const canvases = [...document.querySelectorAll('canvas')];
  const wanted = colors.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  const withColor = Object.fromEntries(colors.map((hex) => [hex, 0]));
  let inked = 0;
  // Each canvas's pixels are read once, for ink and for every colour asked for.
  for (const canvas of canvases) {
    const context = canvas.getContext('2d');
    if (!context || canvas.width === 0 || canvas.height === 0) continue;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const found = new Set();
    let ink = false;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] > 0) ink = true;
      if (pixels[i + 3] === 255) wanted.forEach(([r, g, b], c) => { if (pixels[i] === r && pixels[i + 1] === g && pixels[i + 2] === b) found.add(c); });
    }
    if (ink) inked += 1;
    for (const c of found) withColor[colors[c]] += 1;
  }
  return { charts: Number(document.body.dataset.charts), canvases: canvases.length, inked, withColor, title: document.title, text: document.body.innerText };
})(${JSON.stringify(colors)})`;

export async function openInChromium(file: string, screenshot?: string, colors: readonly string[] = []): Promise<OpenedPage> {
  const browser = await puppeteer.launch({
    executablePath: toolPath('chromium'),
    headless: true,
    // No network at all: the report must be self-contained.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900 });
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    page.on('requestfailed', (request) => consoleErrors.push(`request failed: ${request.url()}`));
    const started = Date.now();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction('document.body.dataset.charts !== undefined', { timeout: 60_000 });
    const renderMs = Date.now() - started;
    const seen = (await page.evaluate(INSPECT(colors))) as {
      charts: number;
      canvases: number;
      inked: number;
      withColor: Record<string, number>;
      title: string;
      text: string;
    };
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return {
      consoleErrors,
      charts: seen.charts,
      inkedCanvases: seen.inked,
      canvases: seen.canvases,
      canvasesWithColor: seen.withColor,
      renderMs,
      title: seen.title,
      text: seen.text,
    };
  } finally {
    await browser.close();
  }
}

/**
 * Opens a page (a web app), clicks the elements whose text is one of `open` (collapsed sections),
 * and waits until its text shows every one of `texts`; returns the text it showed.
 */
export async function pageShowing(url: string, texts: readonly string[], open: readonly string[] = [], timeoutMs = 60_000): Promise<string> {
  const browser = await puppeteer.launch({
    executablePath: toolPath('chromium'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
    for (const label of open) {
      const selector = `::-p-text(${label})`;
      await page.waitForSelector(selector, { timeout: timeoutMs });
      await page.click(selector);
    }
    // Rendered Markdown may live in frames of its own: their text counts too.
    const shownText = async (): Promise<string> => {
      const texts = await Promise.all(page.frames().map((frame) => frame.evaluate('document.body ? document.body.innerText : ""').catch(() => '')));
      return texts.join('\n');
    };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const shown = await shownText();
      if (texts.every((t) => shown.includes(t))) return shown;
      if (Date.now() > deadline) {
        await page.screenshot({ path: join(tmpdir(), 'gantry-page-not-showing.png'), fullPage: true });
        throw new Error(`${url} did not show ${JSON.stringify(texts)} in ${timeoutMs / 1000}s; it showed:\n${shown.slice(0, 8_000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await browser.close();
  }
}
