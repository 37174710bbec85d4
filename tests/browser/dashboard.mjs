// The dashboard in a real browser: Debian's Chromium (/usr/bin/chromium) driven by npm
// puppeteer-core, against the ingestd that dashboard_test.cpp started. Every wait is on page
// state (waitForSelector / waitForFunction), never a sleep.
//
// env: INGESTD_URL (http://127.0.0.1:PORT), SIGNIN_URL (a one-time #code= URL for user dev),
//      ADMIN_TOKEN, PDF (a file to upload),
//      OUT_DIR (screenshots), CHROMIUM (default /usr/bin/chromium)
// Prints one line per step and `N passed, N failed`; exits 1 on the first failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const base = env('INGESTD_URL');
const outDir = env('OUT_DIR');
fs.mkdirSync(outDir, {recursive: true});
const kWait = {timeout: 60000};

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ingestd-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  userDataDir: profile,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// Console errors and uncaught exceptions; the one the test provokes is listed as expected.
const problems = [];
let expected = [];
let passed = 0;
const page = await browser.newPage();
page.on('console', (m) => {
  if (m.type() !== 'error') return;
  const i = expected.findIndex((re) => re.test(m.text()));
  if (i >= 0) expected.splice(i, 1);
  else problems.push(`console error: ${m.text()}`);
});
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

async function step(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
    await page.screenshot({path: path.join(outDir, 'failure.png'), fullPage: true}).catch(() => {});
    console.log(`${passed} passed, 1 failed`);
    await browser.close();
    fs.rmSync(profile, {recursive: true, force: true});
    process.exit(1);
  }
}
const shot = (name) => page.screenshot({path: path.join(outDir, name), fullPage: true});
const text = (selector) => page.$eval(selector, (el) => el.textContent);
const check = (cond, what) => {
  if (!cond) throw new Error(what);
};
const go = async (hash, selector) => {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(selector, kWait);
};

await page.setViewport({width: 1280, height: 900});

await step('the one-time #code= URL signs the user in and leaves the address bar', async () => {
  await page.goto(env('SIGNIN_URL'));
  await page.waitForSelector('#view[data-view=jobs] #jobs-list', kWait);
  check(!page.url().includes('code='), `code still in the URL: ${page.url()}`);
  const stored = await page.evaluate(() => localStorage.getItem('ingestd_token'));
  check(stored && stored.split('.').length === 3, `no session token in storage: ${stored}`);
  check((await text('#who-name')).startsWith('dev'), 'not signed in as dev');
});

await step('the same URL again is refused with its code and correlation id', async () => {
  const before = await page.evaluate(() => localStorage.getItem('ingestd_token'));
  expected = [/status of 401/];
  await page.goto(env('SIGNIN_URL'));
  await page.waitForSelector('#error:not([hidden]) .error-cid code', kWait);
  check((await text('#error .error-code')) === 'SIGNIN_CODE_INVALID', await text('#error'));
  check(!page.url().includes('code='), `code still in the URL: ${page.url()}`);
  check(await page.evaluate(() => localStorage.getItem('ingestd_token')) === before,
      'the refused code changed the session');
  await page.click('#error .dismiss');
  await page.waitForSelector('#view[data-view=jobs] #jobs-list', kWait);
});

let jobId = '';
await step('a PDF uploaded through the file input becomes a job that completes', async () => {
  const input = await page.$('#upload-file');
  await input.uploadFile(env('PDF'));
  await page.click('#upload-button');
  await page.waitForFunction(() => /^queued job /.test(
      document.querySelector('#upload-message')?.textContent ?? ''), kWait);
  jobId = (await text('#upload-message')).replace('queued job ', '');
  await page.waitForSelector(`tr[data-job-id="${jobId}"]`, kWait);
  await page.waitForSelector(`tr[data-job-id="${jobId}"] [data-state=done]`, kWait);
  check((await text(`tr[data-job-id="${jobId}"] .progress`)).includes('100'), 'progress not 100 %');
  await shot('jobs-1280.png');
});

await step('the job timeline shows stages, routes, costs and events', async () => {
  await page.click(`tr[data-job-id="${jobId}"] a.job-link`);
  await page.waitForSelector('#timeline tr.stage', kWait);
  const stages = await page.$$eval('#timeline tr.stage td:first-child', (tds) => tds.map((t) => t.textContent));
  for (const s of ['parse', 'chunk', 'embed']) check(stages.includes(s), `no ${s} stage in ${stages}`);
  const embed = await page.$$eval('#timeline tr.stage', (rows) =>
    rows.find((r) => r.cells[0].textContent === 'embed')?.textContent ?? '');
  check(/real · /.test(embed), `embed route not shown: ${embed}`);
  check((await page.$$('tr.event')).length >= 5, 'fewer than 5 events');
  const actual = await page.$$eval('tr.cost-row', (rows) => rows[2].cells[2].textContent);
  check(Number(actual.replace('$', '')) > 0, `no actual cost: ${actual}`);
  check(!(await page.$('#retry')), 'retry offered on a completed job');
  await shot('timeline-1280.png');
});

await step('an API error is shown with its code and correlation id', async () => {
  await go('#/documents', '#documents-list tr[data-document-id]');
  expected = [/status of 400/];
  await page.type('#search-query', '   ');
  await page.click('#search-form button[type=submit]');
  await page.waitForSelector('#error:not([hidden]) .error-cid code', kWait);
  check((await text('#error .error-code')) === 'INVALID_QUERY', await text('#error'));
  check(/^[0-9a-f-]{16,}$/.test(await text('#error .error-cid code')), 'no correlation id');
  await page.click('#error .dismiss');
});

await step('search finds chunks; the chunk viewer shows page spans and heading paths', async () => {
  await page.$eval('#search-query', (el) => { el.value = ''; });
  await page.type('#search-query', 'install packages');
  await page.click('#search-form button[type=submit]');
  await page.waitForSelector('#search-results .hit', kWait);
  await page.click('#documents-list a.doc-link');
  await page.waitForSelector('#chunks .chunk .pages', kWait);
  check(/^pp?\. \d+/.test(await text('#chunks .chunk .pages')), 'no page span');
  check(await page.$$eval('#chunks .heading-path', (els) => els.some((e) => e.textContent !== '')),
      'no chunk has a heading path');
});

await step('the cost chart has data points, a series per service and a budget line', async () => {
  await go('#/costs', '.chart[data-chart=hourly][data-points] canvas');
  check(Number(await page.$eval('.chart[data-chart=hourly]', (el) => el.dataset.points)) > 0,
      'no hourly data point');
  const legend = await page.$$eval('.chart[data-chart=hourly] .u-legend .u-label', (ls) => ls.map((l) => l.textContent));
  check(legend.some((l) => l.includes('embed limit')), `no budget line in ${legend}`);
  check(legend.some((l) => l.startsWith('embed') && !l.includes('limit')), `no embed series in ${legend}`);
  await shot('costs-1280.png');
});

await step('at phone width (390 px) nothing is wider than the screen', async () => {
  await page.setViewport({width: 390, height: 844, isMobile: true, hasTouch: true});
  for (const [hash, selector] of [['#/jobs', `tr[data-job-id="${jobId}"]`],
    [`#/jobs/${jobId}`, '#timeline tr.stage'], ['#/costs', '.chart[data-chart=daily] canvas'],
    ['#/services', '.service'], ['#/documents', '#documents-list tr']]) {
    await go(hash, selector);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 390, `${hash} is ${width} px wide`);
  }
  await go('#/jobs', `tr[data-job-id="${jobId}"]`);
  await shot('jobs-390.png');
  await page.setViewport({width: 1280, height: 900});
});

await step('an admin signs in with a pasted token and switches a service mode', async () => {
  await page.click('#sign-out');
  await page.waitForSelector('#sign-in:not([hidden]) #token-input', kWait);
  await page.type('#token-input', env('ADMIN_TOKEN'));
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('[data-nav=admin]:not([hidden])', kWait);
  await go('#/services', '.service[data-service=embed] .mode-select');
  check((await text('.service[data-service=embed] .mode')) === 'real', 'embed not in real mode');
  await page.select('.service[data-service=embed] .mode-select', 'hybrid');
  await page.click('.service[data-service=embed] .mode-apply');
  await page.waitForFunction(() =>
    document.querySelector('.service[data-service=embed] .mode')?.textContent === 'hybrid', kWait);
  await page.waitForSelector('tr.mode-change', kWait);
  await shot('services-1280.png');
});

await step('alerts and the audit log of paid requests (admin)', async () => {
  await go('#/admin', '#audit tr.audit-row');
  check(/^[1-9]\d* requests/.test(await text('#audit-totals')), await text('#audit-totals'));
  await page.waitForSelector('#alerts table, #alerts .empty', kWait);
});

await step('no console errors, page errors or failed requests', async () => {
  check(expected.length === 0, `expected console errors not seen: ${expected}`);
  check(problems.length === 0, problems.join('\n'));
});

await browser.close();
fs.rmSync(profile, {recursive: true, force: true});
console.log(`${passed} passed, 0 failed`);
