// Starts a real `csms serve` on a fresh data directory and Debian's Chromium for each test file.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const PASSWORD = "browser test passphrase";
const root = resolve(import.meta.dirname, "..", "..");
export const BIN = process.env.CSMS_BIN || join(root, "target", "debug", "csms");
export const ARTIFACTS = process.env.CSMS_ARTIFACTS || join(root, "artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export class Installation {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "csms-e2e-"));
    this.env = { ...process.env, CSMS_DATA_DIR: join(this.dir, "data"), CSMS_LOG: "warn" };
    delete this.env.CSMS_DATABASE_URL;
  }

  csms(args, extraEnv = {}) {
    return execFileSync(BIN, args, { env: { ...this.env, ...extraEnv }, encoding: "utf8" });
  }

  sql(statement) {
    return execFileSync("sqlite3", [join(this.dir, "data", "csms.db"), statement], { encoding: "utf8" });
  }

  /** An organization `kashima` with an admin and a viewer, and the demo organization. */
  setup() {
    this.csms(["init", "--org-slug", "kashima", "--org-name", "鹿島工場 / Kashima Works", "--admin", "admin", "--admin-name", "管理者 太郎"], { CSMS_ADMIN_PASSWORD: PASSWORD });
    this.csms(["user", "add", "viewer1", "--display-name", "閲覧 花子", "--org", "kashima", "--role", "viewer"], { CSMS_PASSWORD: PASSWORD });
    this.csms(["demo"]);
    this.csms(["user", "passwd", "sato"], { CSMS_PASSWORD: PASSWORD });
  }

  async start() {
    this.server = spawn(BIN, ["serve", "--listen", "127.0.0.1:0"], { env: this.env, stdio: ["ignore", "pipe", "inherit"] });
    const lines = createInterface({ input: this.server.stdout });
    this.base = await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error("csms serve did not start")), 30000);
      lines.on("line", (line) => {
        const m = line.match(/listening on (http:\/\/\S+)/);
        if (m) {
          clearTimeout(timer);
          ok(m[1]);
        }
      });
      this.server.on("exit", (code) => fail(new Error(`csms serve exited with ${code}`)));
    });
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    // Any request that leaves the server is a defect: plants are air-gapped.
    this.external = [];
  }

  async context(options = {}) {
    const context = await this.browser.newContext({ locale: "en-US", timezoneId: "Asia/Tokyo", viewport: { width: 1280, height: 860 }, ...options });
    context.on("request", (req) => {
      if (!req.url().startsWith(this.base) && !req.url().startsWith("data:")) this.external.push(req.url());
    });
    return context;
  }

  async signIn(page, username, password = PASSWORD) {
    await page.goto(`${this.base}/signin`);
    await page.fill("#username", username);
    await page.fill("#password", password);
    await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]:not([name])")]);
  }

  async stop() {
    await this.browser?.close();
    this.server?.kill("SIGTERM");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function screenshotDir() {
  const dir = join(ARTIFACTS, "screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}
