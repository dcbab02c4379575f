/**
 * Every relative link in the docs points to a file that exists, and every `#anchor` to a heading
 * of that file, by GitHub's rules for heading ids (the ones its Markdown renderer gives, e.g.
 * "## What `pulumi up` does" -> #what-pulumi-up-does): lower case, spaces to `-`, punctuation
 * other than `-` and `_` dropped, a repeated heading gets `-1`, `-2`, ...
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");

/** The pages a reader follows: the first screen, docs/, and the READMEs of stacks and tests. */
function docPages(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs, "stacks/README.md", "test/system/README.md"];
}

/** Markdown text outside fenced code blocks (a link in a code block is not a link). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** GitHub's heading id: its text as rendered (inline code and links as their text). */
export function githubAnchor(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/<[^>]+>/g, "")
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/ /g, "-");
}

export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = githubAnchor(match[1] ?? "");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

interface Link {
  page: string;
  target: string;
}

function linksOf(page: string): Link[] {
  const text = prose(fs.readFileSync(path.join(ROOT, page), "utf8")).replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1] ?? "")
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => ({ page, target }));
}

/** What is wrong with a link, or undefined when it resolves. */
function brokenBecause({ page, target }: Link): string | undefined {
  const [file = "", anchor] = target.split("#", 2);
  const resolved =
    file === "" ? path.join(ROOT, page) : path.resolve(ROOT, path.dirname(page), file);
  if (!fs.existsSync(resolved))
    return `${page}: ${target}: no file ${path.relative(ROOT, resolved)}`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith(".md"))
    return `${page}: ${target}: an anchor into a file that is not Markdown`;
  const anchors = anchorsOf(fs.readFileSync(resolved, "utf8"));
  return anchors.has(anchor)
    ? undefined
    : `${page}: ${target}: no heading #${anchor} in ${path.relative(ROOT, resolved)}`;
}

describe("GitHub's heading ids", () => {
  // Examples of what github.com gives the headings of this repository's pages.
  it.each([
    ["What `pulumi up` does", "what-pulumi-up-does"],
    ["Bundles: what a teacher hands out", "bundles-what-a-teacher-hands-out"],
    [
      "Admin UIs: the visualizer, cAdvisor, MediaWiki",
      "admin-uis-the-visualizer-cadvisor-mediawiki",
    ],
    ["What swarmlab adds to `daemon.json`", "what-swarmlab-adds-to-daemonjson"],
    ["The main job: one student's cluster", "the-main-job-one-students-cluster"],
    ["Everything CI runs: `.ci/run`", "everything-ci-runs-cirun"],
    ["Benchmark items left as they are, and why", "benchmark-items-left-as-they-are-and-why"],
  ])("%j -> #%s", (heading, anchor) => expect(githubAnchor(heading)).toBe(anchor));

  it("numbers a repeated heading", () => {
    expect([...anchorsOf("# A\n## Then\n```\n# not a heading\n```\n## Then\n")]).toEqual([
      "a",
      "then",
      "then-1",
    ]);
  });
});

describe("the docs' relative links", () => {
  const links = docPages().flatMap(linksOf);

  it("are found on every page", () => {
    expect(links.length).toBeGreaterThan(40);
    expect(new Set(links.map((l) => l.page))).toEqual(new Set(docPages()));
  });

  it("all resolve to a file, and an anchor to a heading in it", () => {
    expect(links.map(brokenBecause).filter((b) => b !== undefined)).toEqual([]);
  });

  it("(the check itself: a missing heading or file is reported)", () => {
    expect(brokenBecause({ page: "README.md", target: "docs/teacher.md#no-such-heading" })).toBe(
      "README.md: docs/teacher.md#no-such-heading: no heading #no-such-heading in docs/teacher.md",
    );
    expect(brokenBecause({ page: "docs/ci.md", target: "missing.md" })).toBe(
      "docs/ci.md: missing.md: no file docs/missing.md",
    );
  });
});
