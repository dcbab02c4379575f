/**
 * The dashboard page: one self-contained HTML file (no server, no external assets). The data is
 * embedded, so the file works opened from disk; served from a folder (http), the page reloads
 * class.json beside it every 30 s. The page's script and style are real files beside this one
 * (dashboard/page.js, page.css), inlined. Pure: data and assets in, text out.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DashboardData } from "./dashboard-data";

export const DATA_FILE = "class.json";
export const PAGE_FILE = "index.html";
const ASSETS = path.join(__dirname, "dashboard");

export interface PageAssets {
  script: string;
  style: string;
}

export function pageAssets(): PageAssets {
  return {
    script: fs.readFileSync(path.join(ASSETS, "page.js"), "utf8"),
    style: fs.readFileSync(path.join(ASSETS, "page.css"), "utf8"),
  };
}

/** JSON that cannot end the <script> element it sits in (`</script>`, `<!--`). */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function inlineSafe(text: string, tag: string): string {
  if (text.toLowerCase().includes(`</${tag}`))
    throw new Error(`the page's ${tag} must not contain </${tag}`);
  return text;
}

export function renderDashboard(data: DashboardData, assets: PageAssets = pageAssets()): string {
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing from elsewhere: only the inline style and script, and class.json from this folder.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'">`,
    "<title>swarmlab: the class</title>",
    `<style>\n${inlineSafe(assets.style, "style")}</style>`,
    "</head>",
    "<body>",
    '<header><h1>swarmlab: the class</h1><p id="summary"></p></header>',
    '<main id="students"></main>',
    `<script type="application/json" id="class-data">${scriptSafeJson(data)}</script>`,
    `<script>\n${inlineSafe(assets.script, "script")}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
