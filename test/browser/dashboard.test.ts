/**
 * Issue 28 item 3: the class dashboard, rendered by `npm run class -- dashboard` from the fake
 * workspace (the Pulumi CLI cannot run here) and a saved check run, then opened in the real
 * headless Chromium (Debian's `chromium`, driven by puppeteer-core over the DevTools protocol):
 * as a file, and served from its folder, where it follows class.json.
 * SWARMLAB_DASHBOARD_SCREENSHOT=FILE also saves the page, a card opened, as a PNG (docs/).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import puppeteer, { Browser, Page } from "puppeteer-core";
import { FakeClassWorkspace } from "../../scripts/class/fake-workspace";
import { main } from "../../scripts/class/main";
import { CheckRun } from "../../scripts/checks/report";
import { renderDashboard, scriptSafeJson } from "../../scripts/checks/dashboard-html";
import { DashboardData } from "../../scripts/checks/dashboard-data";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** The fake with what a real stack's outputs hold of the cluster (infra/index.ts: nodes, swarm, stacks). */
class ClassWorkspace extends FakeClassWorkspace {
  async outputs(id: string): Promise<Record<string, unknown>> {
    const base = await super.outputs(id);
    if (Object.keys(base).length === 0) return base;
    const lost = id === "carol";
    return {
      ...base,
      nodes: ["manager-0", "worker-0", "worker-1"].map((n) => ({
        name: `${id}-${n}`,
        role: n.startsWith("manager") ? "manager" : "worker",
      })),
      swarm: ["manager-0", "worker-0", "worker-1"].map((n) => ({
        name: `${id}-${n}`,
        role: n.startsWith("manager") ? "manager" : "worker",
        state: lost && n === "worker-1" ? "Down" : "Ready",
        availability: "Active",
        managerStatus: n.startsWith("manager") ? "Leader" : "",
      })),
      stacks: {
        hostname: {
          services: [{ service: "hostname_web", running: lost ? 2 : 3, wanted: 3 }],
          urls: {},
        },
      },
    };
  }
}

const pass = (check: string) => ({
  check,
  status: "pass" as const,
  message: `${check} is fine.`,
  evidence: {},
});
const run: CheckRun = {
  format: 1,
  lab: "hostname",
  at: "2026-12-02T04:00:00.000Z",
  checks: ["converged", "spread"],
  students: [
    { id: "alice", results: [pass("converged"), pass("spread")] },
    {
      id: "bob",
      results: [
        pass("converged"),
        {
          check: "spread",
          status: "fail",
          message:
            "hostname_web runs 3 replicas on only 1 node(s) (bob-worker-0), and the lab asks for at least 2.",
          evidence: { nodes: { "bob-worker-0": 3 } },
        },
      ],
    },
    {
      id: "carol",
      results: [
        {
          check: "converged",
          status: "error",
          // Text from a cluster is shown as text: nothing in it becomes markup.
          message: "printed </script><b>not markup</b>",
          evidence: {},
        },
        pass("spread"),
      ],
    },
  ],
};

let dir: string;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: the dashboard test needs the real browser: apt-get install chromium`,
    );
  }
  // Root (CI, these machines) cannot use Chromium's sandbox.
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-"));
  fs.writeFileSync(
    path.join(dir, "class.yaml"),
    "class:\n  swarmlab: { allowedCidrs: [203.0.113.0/24] }\nstudents:\n" +
      "  - { id: alice, expires: 2099-01-31 }\n  - { id: bob, expires: 2099-01-31 }\n  - { id: carol, expires: 2099-01-31 }\n",
  );
  fs.mkdirSync(path.join(dir, "class-checks"));
  fs.writeFileSync(path.join(dir, "class-checks", "hostname.json"), JSON.stringify(run));
  const workspace = new ClassWorkspace({ delayMs: 0 });
  for (const id of ["alice", "bob", "carol"]) await workspace.up(id);
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    expect(
      await main(
        ["dashboard"],
        dir,
        () => Promise.resolve("v3.270.0\n"),
        () => workspace,
      ),
    ).toBe(0);
  } finally {
    log.mockRestore();
  }
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function open(url: string): Promise<Page> {
  const tab = await browser.newPage();
  const errors: string[] = [];
  tab.on("pageerror", (error) => errors.push(String(error)));
  tab.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await tab.setViewport({ width: 1100, height: 760 });
  await tab.goto(url, { waitUntil: "load" });
  await tab.waitForSelector("article[data-student]");
  (tab as Page & { errors: string[] }).errors = errors;
  return tab;
}

const levels = (tab: Page) =>
  tab.$$eval("article[data-student]", (cards) =>
    cards.map((c) => [c.getAttribute("data-student"), c.getAttribute("data-level")]),
  );

describe("the class dashboard, opened as a file", () => {
  it("is one file that loads nothing from elsewhere", () => {
    const html = fs.readFileSync(path.join(dir, "dashboard", "index.html"), "utf8");
    expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc=|https?:\/\//i);
    expect(fs.existsSync(path.join(dir, "dashboard", "class.json"))).toBe(true);
  });

  it("renders the class of 3: a colour each, a failing check shown failing, details on a click", async () => {
    const tab = await open(`file://${path.join(dir, "dashboard", "index.html")}`);
    try {
      expect(await levels(tab)).toEqual([
        ["alice", "green"],
        ["bob", "red"],
        ["carol", "red"],
      ]);
      expect(await tab.$eval("#summary", (e) => e.textContent)).toMatch(
        /^3 students: 2 red, 0 amber, 1 green, 0 without a cluster/,
      );
      const line = (id: string) =>
        tab.$eval(`article[data-student=${id}] .line`, (e) => e.textContent);
      expect(await line("alice")).toBe(
        "nodes 3/3 Ready · stacks 1/1 converged · 2/2 checks pass · until 2099-01-31",
      );
      expect(await line("carol")).toBe(
        "nodes 2/3 Ready · stacks 0/1 converged · 1/2 checks pass · until 2099-01-31",
      );

      const bob = "article[data-student=bob]";
      const visible = () =>
        tab.$eval(
          `${bob} .details`,
          (e) => (e as unknown as { offsetParent: unknown }).offsetParent !== null,
        );
      expect(await visible()).toBe(false);
      await tab.click(`${bob} button.head`);
      expect(await visible()).toBe(true);
      const spread = await tab.$eval(`${bob} li[data-check=spread]`, (e) => ({
        status: e.getAttribute("data-status"),
        pill: e.querySelector(".pill")?.textContent,
        colour: (
          globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
        ).getComputedStyle(e.querySelector(".pill")).backgroundColor,
        text: e.textContent,
      }));
      expect(spread).toEqual({
        status: "fail",
        pill: "fail",
        colour: "rgb(210, 60, 60)",
        text: expect.stringContaining(
          "hostname_web runs 3 replicas on only 1 node(s) (bob-worker-0), and the lab asks for at least 2.",
        ),
      });
      await tab.click("article[data-student=carol] button.head");
      expect(
        await tab.$eval("article[data-student=carol] li[data-check=converged]", (e) => ({
          status: e.getAttribute("data-status"),
          text: e.textContent,
          markup: e.querySelector("b") !== null,
        })),
      ).toEqual({
        status: "error",
        text: expect.stringContaining("printed </script><b>not markup</b>"),
        markup: false,
      });
      await tab.click("article[data-student=carol] button.head");
      expect(await tab.$eval(`${bob} .reasons`, (e) => e.textContent)).toBe("hostname spread fail");
      await tab.click(`${bob} button.head`);
      expect(await visible()).toBe(false);

      const screenshot = process.env.SWARMLAB_DASHBOARD_SCREENSHOT;
      if (screenshot) {
        await tab.click(`${bob} button.head`);
        await tab.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
      }
      expect((tab as Page & { errors: string[] }).errors).toEqual([]);
    } finally {
      await tab.close();
    }
  }, 60_000);
});

describe("the class dashboard, served from its folder", () => {
  it("follows class.json as the class tool rewrites it, keeping an open card open", async () => {
    const folder = path.join(dir, "dashboard");
    const server = http.createServer((request, response) => {
      const file = path.join(
        folder,
        (request.url ?? "/").split("?")[0].replace(/^\/$/, "/index.html"),
      );
      if (!file.startsWith(folder) || !fs.existsSync(file)) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, {
        "content-type": file.endsWith(".json") ? "application/json" : "text/html",
      });
      response.end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const tab = await open(`http://127.0.0.1:${port}/?refresh=1`);
    try {
      await tab.click("article[data-student=alice] button.head");
      const data = JSON.parse(
        fs.readFileSync(path.join(folder, "class.json"), "utf8"),
      ) as DashboardData;
      data.students[0].checks[0].results[1] = {
        check: "spread",
        status: "fail",
        message: "Now on one node.",
        evidence: {},
      };
      fs.writeFileSync(path.join(folder, "class.json"), JSON.stringify(data));
      await tab.waitForSelector("article[data-student=alice][data-level=red]", { timeout: 10_000 });
      expect(
        await tab.$eval(
          "article[data-student=alice] .details",
          (e) => (e as unknown as { hidden: boolean }).hidden,
        ),
      ).toBe(false);
      expect((tab as Page & { errors: string[] }).errors).toEqual([]);
    } finally {
      await tab.close();
      server.close();
    }
  }, 60_000);
});

describe("renderDashboard", () => {
  it("embeds the data so that no text in it can end the script element", () => {
    expect(scriptSafeJson({ m: "</script><!--" })).toBe('{"m":"\\u003c/script>\\u003c!--"}');
    const html = renderDashboard(
      { format: 1, generated: "2026-12-02T04:00:00.000Z", students: [] },
      { script: "", style: "" },
    );
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it("is checked by the page's own rules: no </script> in the script asset", () => {
    expect(() =>
      renderDashboard(
        { format: 1, generated: "", students: [] },
        { script: "x('</script>')", style: "" },
      ),
    ).toThrow("the page's script must not contain </script");
  });
});

it("needs nothing but the browser (a sanity check of the path used above)", () => {
  expect(spawnSync(CHROMIUM, ["--version"], { encoding: "utf8" }).stdout).toMatch(/Chromium \d+/);
});
