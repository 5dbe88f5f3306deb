// Zones and risk in a real browser: create a zone, add assets, set SL-T, record a risk, accept
// it, see the heat map change; screenshots of the zone diagram and the heat maps are artifacts.
// Then the same pages in Japanese, and the demo plant's diagram, register and CRS.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
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

/** The number of risks shown on a heat map (the sum of its cells' counts). */
async function heatTotal(page, id) {
  return page.$$eval(`#${id} [data-count]`, (cells) => cells.reduce((n, c) => n + Number(c.getAttribute("data-count")), 0));
}

async function submit(page, selector) {
  await Promise.all([page.waitForLoadState("load"), page.click(selector)]);
}

async function newAsset(page, tag, name) {
  await page.goto(`${app.base}/o/kashima/assets/new`);
  await page.fill("#asset_tag", tag);
  await page.fill("#name", name);
  await page.selectOption("#asset_type", "plc");
  await page.selectOption("#purdue_level", "1");
  await submit(page, "form[action$='/assets'] button[type=submit]");
  assert.match(await page.textContent("main"), new RegExp(tag));
}

describe("zones and risks", () => {
  it("a zone gets assets and an SL-T, a recorded and accepted risk moves the heat map", async () => {
    const context = await app.context();
    const page = await context.newPage();
    await app.signIn(page, "admin");

    await newAsset(page, "E2E-PLC-01", "Reactor PLC 1");
    await newAsset(page, "E2E-PLC-02", "Reactor PLC 2");

    // Create the zone.
    await page.goto(`${app.base}/o/kashima/zones`);
    await page.fill("#zone-name", "E2E Reactor control");
    await page.fill("#zone-description", "Controllers of the reactor section");
    await submit(page, "#new-zone button[type=submit]");
    await page.goto(`${app.base}/o/kashima/zones`);
    await submit(page, "#zones a:has-text('E2E Reactor control')");
    const zoneUrl = page.url();

    // Add both assets to it.
    await page.fill("#cq", "E2E-PLC");
    await submit(page, "form[role=search] button[type=submit]");
    for (const box of await page.$$("#add-assets input[type=checkbox]")) await box.check();
    await submit(page, "#add-assets button[type=submit]");
    const inZone = await page.textContent("#zone-assets");
    assert.match(inZone, /E2E-PLC-01/);
    assert.match(inZone, /E2E-PLC-02/);

    // Set SL-T(3,3,2,2,2,1,3).
    const target = [3, 3, 2, 2, 2, 1, 3];
    for (let fr = 1; fr <= 7; fr++) await page.selectOption(`#sl-form select[name=sl_t_${fr}]`, String(target[fr - 1]));
    await submit(page, "#sl-form button[type=submit]");
    await page.goto(zoneUrl);
    for (let fr = 1; fr <= 7; fr++) {
      assert.equal(await page.$eval(`#sl-form select[name=sl_t_${fr}]`, (s) => s.value), String(target[fr - 1]));
    }

    // The diagram shows the zone.
    await page.goto(`${app.base}/o/kashima/zones/diagram`);
    assert.match(await page.textContent("main svg"), /E2E Reactor control/);
    await page.screenshot({ path: join(screenshotDir(), "zone-diagram-en.png"), fullPage: true });

    // The register starts empty.
    await page.goto(`${app.base}/o/kashima/risks`);
    assert.equal(await heatTotal(page, "heatmap-inherent"), 0);

    // Record a risk of the zone: likely × catastrophic for production, accepted as it is.
    await page.goto(`${app.base}/o/kashima/risks/new`);
    await page.fill("#title", "Ransomware stops the reactor controllers");
    await page.selectOption("#kind", "detailed");
    await page.selectOption("#zone_ids", { label: "E2E Reactor control" });
    await page.fill("#asset_tags", "E2E-PLC-01");
    await page.fill("#threat_source", "Criminal group");
    await page.selectOption("#inherent_likelihood", "4");
    await page.selectOption("#inherent_c_production", "5");
    await page.selectOption("#treatment", "accept");
    await submit(page, "#risk-form button[type=submit]");
    assert.match(await page.textContent("main"), /R-0001/);

    // Accept it (an administrator may accept above the tolerable threshold).
    await page.fill("#reason", "Budgeted for the 2027 turnaround; manual fallback procedures in place.");
    await submit(page, "#accept-form button[type=submit]");
    assert.match(await page.textContent("#acceptance"), /Budgeted for the 2027 turnaround/);

    // The heat maps now count it, in the likely × catastrophic cell.
    await page.goto(`${app.base}/o/kashima/risks`);
    assert.equal(await heatTotal(page, "heatmap-inherent"), 1);
    assert.equal(await page.getAttribute("#heatmap-inherent [data-likelihood='4'][data-consequence='5']", "data-count"), "1");
    assert.equal(await heatTotal(page, "heatmap-residual"), 1);
    assert.match(await page.textContent("#risk-table"), /Ransomware stops the reactor controllers/);
    await page.screenshot({ path: join(screenshotDir(), "risk-heatmap-en.png"), fullPage: true });

    // The proposal from risk: critical gives SL 4.
    await page.goto(`${zoneUrl}/propose`);
    assert.equal(await page.textContent("#proposal-vector"), "SL-T(4,4,4,4,4,4,4)");

    assert.deepEqual(app.external, [], "no request may leave the server");
    await context.close();
  });

  it("the demo plant's diagram, register and requirements specification read in Japanese", async () => {
    const context = await app.context({ locale: "ja-JP" });
    const page = await context.newPage();
    await app.signIn(page, "sato");
    await page.goto(`${app.base}/o/minato-chemical/zones/diagram`);
    const svg = await page.textContent("main svg");
    assert.match(svg, /Z03 EO 制御/);
    assert.match(svg, /Z04 安全計装/);
    await page.screenshot({ path: join(screenshotDir(), "zone-diagram-ja.png"), fullPage: true });

    await page.goto(`${app.base}/o/minato-chemical/risks`);
    assert.ok((await heatTotal(page, "heatmap-inherent")) >= 7);
    assert.match(await page.textContent("main"), /リスク/);
    await page.screenshot({ path: join(screenshotDir(), "risk-heatmap-ja.png"), fullPage: true });

    await page.goto(`${app.base}/o/minato-chemical/zones`);
    await submit(page, "#zones a:has-text('Z03 EO 制御')");
    await submit(page, "a[href$='/crs']");
    assert.match(await page.textContent("h1"), /サイバーセキュリティ要求仕様書/);
    assert.ok((await page.$$(".crs-reqs tr[data-ref]")).length > 20);
    await page.screenshot({ path: join(screenshotDir(), "zone-crs-ja.png"), fullPage: true });

    assert.deepEqual(app.external, [], "no request may leave the server");
    await context.close();
  });
});
