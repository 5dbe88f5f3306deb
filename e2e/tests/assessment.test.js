// Conformance assessment in a real browser, in Japanese and in English: start an assessment,
// assess three requirements (keyboard and form), see the roll-up and the readiness list
// change, export the XLSX and read it back.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { Installation, screenshotDir } from "./harness.js";

const app = new Installation();

before(async () => {
  app.setup();
  await app.start();
});

after(async () => {
  await app.stop();
});

/** The entries of a ZIP archive (an XLSX is one): name → Buffer. */
function unzip(buf) {
  const entries = new Map();
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, "the XLSX is a ZIP archive");
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50);
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataAt, dataAt + size);
    entries.set(name, method === 8 ? inflateRawSync(data) : data);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const unescape = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

/** The rows of the first sheet as arrays of cell texts (shared strings resolved). */
function sheetRows(xlsx) {
  const files = unzip(xlsx);
  const shared = [...files.get("xl/sharedStrings.xml").toString("utf8").matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) =>
    unescape([...m[1].matchAll(/<t[^>]*>([\s\S]*?)<\/t>/g)].map((t) => t[1]).join("")),
  );
  const sheet = files.get("xl/worksheets/sheet1.xml").toString("utf8");
  const rows = [];
  for (const row of sheet.matchAll(/<row [^>]*r="(\d+)"[^>]*>([\s\S]*?)<\/row>/g)) {
    const cells = [];
    for (const c of row[2].matchAll(/<c r="([A-Z]+)\d+"([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const col = c[1].charCodeAt(0) - 65;
      const v = (c[3] || "").match(/<v>([\s\S]*?)<\/v>/);
      const inline = (c[3] || "").match(/<t[^>]*>([\s\S]*?)<\/t>/);
      let text = "";
      if (/t="s"/.test(c[2]) && v) text = shared[Number(v[1])];
      else if (inline) text = unescape(inline[1]);
      else if (v) text = v[1];
      cells[col] = text;
    }
    rows[Number(row[1]) - 1] = cells;
  }
  return rows;
}

async function gap(page, name) {
  return Number(await page.textContent(`#gap-counts li[data-gap=${name}] .gap-count`));
}

async function count(page, outcome) {
  return Number(await page.textContent(`#rollup [data-outcome=${outcome}] .stat-value`));
}

function row(page, ref) {
  return page.locator("article.req", { has: page.locator("h3 span.mono", { hasText: new RegExp(`^${ref.replace(/\./g, "\\.")}$`) }) });
}

async function saved(page, ref, version) {
  const r = row(page, ref);
  await r.locator(`input[name=version][value="${version}"]`).waitFor({ state: "attached" });
  return r;
}

describe("Conformance assessment in Chromium", () => {
  for (const [lang, locale, words] of [
    ["ja", "ja-JP", { conformant: "適合", partial: "部分適合", header: "番号" }],
    ["en", "en-US", { conformant: "Conformant", partial: "Partially conformant", header: "Ref" }],
  ]) {
    it(`assesses three requirements, sees the roll-up and readiness change, exports XLSX (${lang})`, async () => {
      const dir = screenshotDir();
      const context = await app.context({ locale, acceptDownloads: true });
      const page = await context.newPage();
      await app.signIn(page, "sato");
      assert.equal(await page.getAttribute("html", "lang"), lang);
      // Start an assessment of the JIPDEC criteria.
      await page.goto(`${app.base}/o/minato-chemical/assessments`);
      await page.selectOption("#framework_id", "jipdec-csms-2010");
      await page.fill("#title", `Browser ${lang}`);
      await page.fill("#scope", "EO DCS");
      await Promise.all([page.waitForURL(/\/assessments\/[0-9a-f-]{36}$/), page.click("section button[type=submit]")]);
      const dashboard = page.url();
      assert.equal(await gap(page, "not_assessed"), 127);
      assert.equal(await count(page, "conformant"), 0);
      assert.equal(await page.locator("#readiness-list li").count(), 12, "the first twelve gaps are listed");
      // The workspace: keyboard for the first, form for the second, keyboard for the third.
      await page.goto(`${dashboard}/work`);
      const first = row(page, "4.2.2.1");
      await first.focus();
      await page.keyboard.press("1");
      await saved(page, "4.2.2.1", 2);
      const second = row(page, "4.2.3.1");
      await second.locator("select[name=outcome]").selectOption("partial");
      await second.locator("textarea[name=notes]").fill(lang === "ja" ? "手順書が未承認" : "procedure not yet approved");
      await second.locator("button.req-save").click();
      await saved(page, "4.2.3.1", 2);
      await row(page, "4.2.3.2").focus();
      await page.keyboard.press("3");
      await saved(page, "4.2.3.2", 2);
      // Evidence for the conformant one.
      const ev = row(page, "4.2.2.1");
      await ev.locator("input.ev-label").fill("CSMS-BR-001");
      await ev.locator("form.ev-add button").click();
      await row(page, "4.2.2.1").locator(".ev-count", { hasText: "1" }).waitFor();
      await page.screenshot({ path: join(dir, `${lang}-assessment-workspace.png`) });
      // The roll-up and the readiness list moved.
      await page.goto(dashboard);
      assert.equal(await count(page, "conformant"), 1);
      assert.equal(await count(page, "partial"), 1);
      assert.equal(await count(page, "nonconformant"), 1);
      assert.equal(await gap(page, "not_assessed"), 124);
      assert.equal(await gap(page, "nonconformant"), 1);
      assert.equal(await gap(page, "partial"), 1);
      assert.equal(await gap(page, "no_evidence"), 1, "the partial one has no evidence");
      const listed = await page.textContent("#readiness-list");
      assert.match(listed, /4\.2\.3\.2/);
      assert.doesNotMatch(listed, /4\.2\.2\.1/, "a conformant requirement with evidence is ready");
      await page.screenshot({ path: join(dir, `${lang}-assessment-dashboard.png`), fullPage: true });
      // Export the XLSX and read it back.
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("a[href$='export.xlsx']")]);
      const file = join(dir, "..", `assessment-${lang}.xlsx`);
      await download.saveAs(file);
      const rows = sheetRows(readFileSync(file));
      const header = rows.findIndex((r) => r && r[1] === words.header);
      assert.ok(header >= 0, "the column headers are there");
      const byRef = new Map(rows.slice(header + 1).filter(Boolean).map((r) => [r[1], r]));
      assert.equal(byRef.size, 127, "one row per requirement");
      assert.equal(byRef.get("4.2.2.1")[3], words.conformant);
      assert.equal(byRef.get("4.2.3.1")[3], words.partial);
      assert.match(byRef.get("4.2.2.1")[6], /CSMS-BR-001/);
      writeFileSync(join(dir, "..", `assessment-${lang}.rows.json`), JSON.stringify(rows.slice(header, header + 4)));
      // The requirement browser, searched in the other language.
      await page.goto(`${app.base}/o/minato-chemical/requirements/jipdec-csms-2010?q=${lang === "ja" ? "risk" : encodeURIComponent("リスク")}&both=1`);
      assert.match(await page.textContent("#match-count"), /\d+/);
      await page.screenshot({ path: join(dir, `${lang}-requirements.png`) });
      await context.close();
    });
  }

  it("imports a CISO Assistant library from the page, and names the problem in a bad one", async () => {
    const context = await app.context({ locale: "en-US" });
    const page = await context.newPage();
    await app.signIn(page, "sato");
    await page.goto(`${app.base}/o/minato-chemical/requirements`);
    const shared = join(import.meta.dirname, "..", "..", "..", "shared", "data", "catalogs", "ciso-assistant");
    // A mapping set before its frameworks: refused in place, naming the missing framework.
    await page.setInputFiles("#file", join(shared, "mapping-iso27001-2013-to-iso27001-2022.yaml"));
    await page.click("#import-box button[type=submit]");
    await page.locator("#import-errors").waitFor();
    assert.match(await page.textContent("#import-errors"), /iso27001-2013/);
    // A framework imports and is listed.
    await page.setInputFiles("#file", join(shared, "cisa-cpg-2.0.yaml"));
    await Promise.all([page.waitForURL(/notice=catalog-imported/), page.click("#import-box button[type=submit]")]);
    assert.match(await page.textContent("#frameworks"), /ciso\.cisa-cpg-2\.0/);
    await context.close();
  });

  it("made no request outside the server", () => {
    assert.deepEqual(app.external, []);
  });
});
