// The product in a real browser: sign-in, language, roles, CSRF, sign-out, session expiry.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Installation, PASSWORD, screenshotDir } from "./harness.js";

const app = new Installation();

before(async () => {
  app.setup();
  await app.start();
});

after(async () => {
  await app.stop();
});

describe("OpenCSMS in Chromium", () => {
  it("refuses a wrong password and opens the dashboard with the right one", async () => {
    const context = await app.context();
    const page = await context.newPage();
    await app.signIn(page, "admin", "not the password at all");
    assert.match(await page.textContent("#signin-error"), /not right/);
    assert.ok(page.url().endsWith("/signin"));
    await app.signIn(page, "admin");
    assert.ok(page.url().endsWith("/o/kashima/"), page.url());
    assert.match(await page.textContent("h1"), /Kashima Works/);
    await context.close();
  });

  it("switches the language from the header", async () => {
    const context = await app.context();
    const page = await context.newPage();
    await app.signIn(page, "admin");
    assert.equal(await page.getAttribute("html", "lang"), "en");
    await Promise.all([page.waitForLoadState("load"), page.click("header button[value=ja]")]);
    assert.equal(await page.getAttribute("html", "lang"), "ja");
    assert.match(await page.textContent("nav.sidenav"), /ダッシュボード/);
    assert.match(await page.textContent("nav.sidenav"), /変更履歴/);
    // The choice is the user's setting: it follows them to a new browser.
    const other = await app.context({ locale: "en-US" });
    const page2 = await other.newPage();
    await app.signIn(page2, "admin");
    assert.equal(await page2.getAttribute("html", "lang"), "ja");
    await Promise.all([page2.waitForLoadState("load"), page2.click("header button[value=en]")]);
    assert.equal(await page2.getAttribute("html", "lang"), "en");
    await context.close();
    await other.close();
  });

  it("denies a viewer the settings and its edit", async () => {
    const context = await app.context();
    const page = await context.newPage();
    await app.signIn(page, "viewer1");
    assert.equal(await page.locator("nav.sidenav a[href$='/settings']").count(), 0, "no settings link for a viewer");
    const res = await page.goto(`${app.base}/o/kashima/settings`);
    assert.equal(res.status(), 403);
    assert.match(await page.textContent("h1"), /Not permitted/);
    const post = await page.request.post(`${app.base}/o/kashima/settings`, {
      form: { version: "1", name: "Viewer was here", timezone: "Asia/Tokyo", description: "" },
      headers: { Origin: app.base },
    });
    assert.equal(post.status(), 403);
    await context.close();
  });

  it("rejects a forged form without the CSRF token", async () => {
    const context = await app.context({ bypassCSP: true });
    const page = await context.newPage();
    await app.signIn(page, "admin");
    await page.goto(`${app.base}/o/kashima/settings`);
    const version = await page.inputValue("input[name=version]");
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.evaluate((v) => {
        const f = document.createElement("form");
        f.method = "post";
        f.action = "/o/kashima/settings";
        for (const [k, val] of Object.entries({ version: v, name: "Forged name", timezone: "Asia/Tokyo", description: "" })) {
          const i = document.createElement("input");
          i.name = k;
          i.value = val;
          f.appendChild(i);
        }
        document.body.appendChild(f);
        f.submit();
      }, version),
    ]);
    assert.equal(response.status(), 403);
    assert.match(await page.textContent("h1"), /Request refused/);
    await page.goto(`${app.base}/o/kashima/settings`);
    assert.equal(await page.inputValue("#name"), "鹿島工場 / Kashima Works", "nothing was changed");
    // The real form, with its token, saves.
    await page.fill("#description", "CSMS scope: DCS and SIS of the ethylene unit");
    await Promise.all([page.waitForLoadState("load"), page.click("main button[type=submit]")]);
    assert.match(await page.textContent("main"), /Saved/);
    await context.close();
  });

  it("signs out and keeps the pages closed afterwards", async () => {
    const context = await app.context();
    const page = await context.newPage();
    await app.signIn(page, "admin");
    await page.click("#user-menu summary");
    await Promise.all([page.waitForLoadState("load"), page.click("#user-menu button[type=submit]")]);
    assert.match(page.url(), /\/signin\?notice=signed-out/);
    assert.match(await page.textContent("main"), /signed out/);
    await page.goto(`${app.base}/o/kashima/`);
    assert.match(page.url(), /\/signin\?next=/);
    await context.close();
  });

  it("ends an idle session", async () => {
    const context = await app.context();
    const page = await context.newPage();
    await app.signIn(page, "viewer1");
    assert.ok(page.url().endsWith("/o/kashima/"));
    app.sql("UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00.000000Z'");
    await page.reload();
    assert.match(page.url(), /\/signin\?next=.*session-expired/);
    assert.match(await page.textContent("main"), /session expired/);
    await context.close();
  });

  it("shows the main pages cleanly in both languages (screenshots)", async () => {
    const dir = screenshotDir();
    for (const [lang, locale] of [["en", "en-US"], ["ja", "ja-JP"]]) {
      const context = await app.context({ locale });
      const page = await context.newPage();
      await page.goto(`${app.base}/signin`);
      assert.equal(await page.getAttribute("html", "lang"), lang);
      await page.screenshot({ path: join(dir, `${lang}-signin.png`) });
      await app.signIn(page, "sato");
      await page.request.post(`${app.base}/account/preferences`, {
        form: { _csrf: await page.getAttribute("input[name=_csrf]", "value"), locale: "", timezone: "" },
        headers: { Origin: app.base },
      });
      for (const [name, path] of [["dashboard", "/"], ["trail", "/trail"], ["members", "/members"], ["tokens", "/tokens"], ["settings", "/settings"]]) {
        const res = await page.goto(`${app.base}/o/minato-chemical${path}`);
        assert.equal(res.status(), 200, `${lang} ${name}`);
        assert.equal(await page.getAttribute("html", "lang"), lang);
        await page.screenshot({ path: join(dir, `${lang}-${name}.png`), fullPage: true });
      }
      await page.goto(`${app.base}/account`);
      await page.screenshot({ path: join(dir, `${lang}-account.png`), fullPage: true });
      await context.close();
    }
    assert.deepEqual(app.external, [], "no request left the server");
  });
});
