// The Statement of Applicability in a real browser: start the JIPDEC draft, mark an item
// excluded with a justification in the inline editor, decide the rest, approve the statement,
// download its XLSX and PDF; screenshots of the statement in English and of the demo plant's
// statement in Japanese.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Installation, screenshotDir } from "./harness.js";

const app = new Installation();

before(async () => {
  app.setup();
  await app.start();
});

after(async () => {
  await app.stop();
});

async function submit(page, selector) {
  await Promise.all([page.waitForLoadState("load"), page.click(selector)]);
}

/** Clicks a download link and returns the downloaded file's bytes and name. */
async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  const path = await file.path();
  return { bytes: readFileSync(path), name: file.suggestedFilename() };
}

describe("statement of applicability", () => {
  it("an item is excluded with a reason, the statement approved, its XLSX and PDF downloaded", async () => {
    const context = await app.context({ acceptDownloads: true });
    const page = await context.newPage();
    await app.signIn(page, "admin");

    await page.goto(`${app.base}/o/kashima/soa`);
    await submit(page, "#soa-start-draft");
    const rows = await page.$$("#soa-table tr.soa-row");
    assert.ok(rows.length > 50, `one row per clause-5 item, got ${rows.length}`);
    assert.ok(await page.$("#soa-undecided"), "approval waits for every item");

    // Mark the first item excluded with a justification, in the inline editor.
    const first = page.locator("#soa-table tr.soa-row").first();
    const ref = await first.getAttribute("data-ref");
    const rowId = await first.getAttribute("id");
    await first.locator("button[hx-get$='/edit']").click();
    const editor = page.locator(".soa-editing form.soa-edit");
    await editor.waitFor();
    // Without a justification the server refuses, naming the item.
    await editor.locator("input[name=applicability][value=excluded]").check();
    await editor.locator("button[type=submit]").click();
    await page.locator(".soa-editing .field-error").waitFor();
    assert.match(await page.textContent(".soa-editing .field-error"), new RegExp(ref.replaceAll(".", "\\.")));
    const why = "No wireless networks and no remote vendor access in this plant";
    await page.fill(".soa-editing textarea[name=exclusion]", why);
    await page.click(`.soa-editing button[type=submit]`);
    const row = page.locator(`#${rowId}.soa-excluded`);
    await row.waitFor();
    assert.match(await row.textContent(), new RegExp(why));

    // Decide the other items through the same form endpoint the editor posts to.
    const csrf = await page.getAttribute("#soa-add input[name=_csrf]", "value");
    const others = await page.$$eval("#soa-table tr.soa-row.soa-undecided", (trs) => trs.map((tr) => tr.id.replace("item-", "")));
    for (const id of others) {
      const res = await page.request.post(`${app.base}/o/kashima/soa/items/${id}`, {
        form: { _csrf: csrf, applicability: "applicable", reasons: "business_need", reason_text: "Needed for continuous operation of the works", status: "implemented", version: "1" },
        headers: { "HX-Request": "true", "X-CSRF-Token": csrf },
      });
      assert.equal(res.status(), 200, `item ${id}: ${await res.text()}`);
    }

    // Approve.
    await page.goto(`${app.base}/o/kashima/soa`);
    assert.ok(!(await page.$("#soa-undecided")));
    await page.fill("#approve-note", "Management review 2026");
    await submit(page, "#soa-approve-button");
    assert.match(await page.textContent("#soa-version"), /Approved/);
    assert.match(await page.textContent("#soa-version"), /Management review 2026/);
    assert.ok(!(await page.$("#soa-table button[hx-get$='/edit']")), "an approved version has no editor");
    assert.match(await page.textContent(`#${rowId}`), new RegExp(why));
    await page.screenshot({ path: join(screenshotDir(), "soa-en.png"), fullPage: true });

    // Downloads: the workbook and the PDF.
    const xlsx = await download(page, "#soa-xlsx");
    assert.equal(xlsx.bytes.subarray(0, 2).toString("latin1"), "PK", "an XLSX is a zip");
    assert.match(xlsx.name, /\.xlsx$/);
    const pdf = await download(page, "#soa-pdf");
    assert.equal(pdf.bytes.subarray(0, 5).toString("latin1"), "%PDF-");
    assert.match(pdf.name, /\.pdf$/);

    assert.deepEqual(app.external, [], "no request may leave the server");
    await context.close();
  });

  it("the demo plant's statement reads in Japanese, with its history and diff", async () => {
    const context = await app.context({ locale: "ja-JP" });
    const page = await context.newPage();
    await app.signIn(page, "sato");
    await page.goto(`${app.base}/o/minato-chemical/soa`);
    assert.match(await page.textContent("h1"), /適用宣言書/);
    assert.ok((await page.$$("#soa-table tr.soa-row")).length > 50);
    assert.ok((await page.$$("#soa-table tr.soa-excluded")).length >= 2);
    assert.match(await page.textContent("#soa-history"), /山田/);
    await page.screenshot({ path: join(screenshotDir(), "soa-ja.png"), fullPage: true });

    await submit(page, "#soa-diff-link");
    assert.ok(await page.$("#soa-diff tr[data-ref='ORG-1']"), "the added item is in the diff");
    assert.ok(await page.$("#soa-diff tr[data-ref='5.6.3']"), "the changed item is in the diff");

    assert.deepEqual(app.external, [], "no request may leave the server");
    await context.close();
  });
});
