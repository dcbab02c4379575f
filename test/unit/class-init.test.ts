import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ClassInitRefused, initClass } from "../../scripts/class/init";
import { parseRoster, Roster } from "../../scripts/class/roster";
import { renderStackFile } from "../../scripts/class/stack-file";
import { classFiles } from "./support/class-files";

function roster(workers: number): Roster {
  const result = parseRoster(
    [
      "class:",
      "  openstack: { cloud: campus }",
      `  swarmlab: { allowedCidrs: [203.0.113.0/24], workers: ${workers}, image: Ubuntu 22.04 }`,
      "students: [alice, bob]",
    ].join("\n"),
  );
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.roster;
}

describe("renderStackFile", () => {
  it("writes a new stack file with a header and the roster's values", () => {
    const plan = renderStackFile(undefined, {
      "swarmlab:workers": 3,
      "swarmlab:allowedCidrs": ["198.51.100.0/24"],
    });
    expect(plan.text).toBe(
      [
        "# Written by `npm run class -- init` from class.yaml. Values you change here by hand are kept",
        '# (init only updates the values it wrote itself); see docs/teacher.md, "Hand-set values win".',
        "",
        "config:",
        "  swarmlab:workers: 3",
        "  swarmlab:allowedCidrs:",
        "    - 198.51.100.0/24",
        "",
      ].join("\n"),
    );
    expect(plan.written).toEqual({
      "swarmlab:workers": 3,
      "swarmlab:allowedCidrs": ["198.51.100.0/24"],
    });
    expect(plan.changed).toBe(true);
  });

  it("follows the roster for its own values, keeps hand-set ones and drops what the roster no longer sets", () => {
    const current = [
      "encryptionsalt: v1:abc",
      "config:",
      "  swarmlab:workers: 2 # roster's",
      "  swarmlab:flavor: m1.large # a student asked for more",
      "  swarmlab:image: Ubuntu 22.04",
      "  aws:region: untouched",
      "",
    ].join("\n");
    const plan = renderStackFile(
      current,
      { "swarmlab:workers": 4, "swarmlab:flavor": "m1.small" },
      { "swarmlab:workers": 2, "swarmlab:flavor": "m1.small", "swarmlab:image": "Ubuntu 22.04" },
    );
    expect(plan.text).toBe(
      [
        "encryptionsalt: v1:abc",
        "config:",
        "  swarmlab:workers: 4 # roster's",
        "  swarmlab:flavor: m1.large # a student asked for more",
        "  aws:region: untouched",
        "",
      ].join("\n"),
    );
    expect(plan.kept).toEqual(["swarmlab:flavor"]);
    expect(plan.written).toEqual({ "swarmlab:workers": 4 });
  });

  it("leaves the text byte for byte when nothing changes", () => {
    const current = "config:\n  swarmlab:workers:   3   # spaced\n";
    const plan = renderStackFile(current, { "swarmlab:workers": 3 }, { "swarmlab:workers": 3 });
    expect(plan).toEqual({
      text: current,
      written: { "swarmlab:workers": 3 },
      kept: [],
      changed: false,
    });
  });
});

describe("initClass", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "class-init-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const snapshot = () => classFiles(dir);

  it("with one broken stack file writes nothing, naming the file and the line (issue 26, item 9)", () => {
    const students = roster(2).students; // alice and bob
    initClass(students, dir); // both written
    const broken = "config:\n  swarmlab:workers: 3\n  swarmlab:workers: 4\n"; // a duplicate key
    fs.writeFileSync(path.join(dir, "Pulumi.bob.yaml"), broken);
    const before = snapshot();
    // alice's roster values change (3 workers): she would be updated, but bob's file is broken.
    let thrown: unknown;
    try {
      initClass(roster(3).students, dir);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ClassInitRefused);
    expect((thrown as Error).message).toMatch(
      new RegExp(
        `^class init wrote nothing: 1 file\\(s\\) cannot be read:\n  - ${path.join(dir, "Pulumi.bob.yaml").replace(/[.]/g, "\\.")}:3:3: Map keys must be unique`,
      ),
    );
    expect(snapshot()).toEqual(before);
  });

  it("creates one stack file per student, and a second run changes nothing", () => {
    const first = initClass(roster(2).students, dir);
    expect(first.map((r) => [r.id, r.action])).toEqual([
      ["alice", "created"],
      ["bob", "created"],
    ]);
    const files = snapshot();
    expect(Object.keys(files).sort()).toEqual([
      ".swarmlab-class/alice.json",
      ".swarmlab-class/bob.json",
      "Pulumi.alice.yaml",
      "Pulumi.bob.yaml",
    ]);
    expect(files["Pulumi.alice.yaml"]).toContain(
      "  openstack:cloud: campus\n  swarmlab:allowedCidrs:\n",
    );
    const mtimes = fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).mtimeMs);

    const second = initClass(roster(2).students, dir);
    expect(second.map((r) => r.action)).toEqual(["unchanged", "unchanged"]);
    expect(snapshot()).toEqual(files);
    expect(fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).mtimeMs)).toEqual(mtimes);
  });

  it("keeps what a student set by hand when the roster changes, and says so", () => {
    initClass(roster(2).students, dir);
    const alice = path.join(dir, "Pulumi.alice.yaml");
    fs.writeFileSync(
      alice,
      fs
        .readFileSync(alice, "utf8")
        .replace("swarmlab:workers: 2", "swarmlab:workers: 5 # by hand") +
        "  swarmlab:flavor: m1.large\n",
    );
    const results = initClass(roster(3).students, dir);
    expect(results.map((r) => [r.id, r.action, r.kept])).toEqual([
      ["alice", "unchanged", ["swarmlab:workers"]],
      ["bob", "updated", []],
    ]);
    expect(fs.readFileSync(alice, "utf8")).toContain(
      "swarmlab:workers: 5 # by hand\n  swarmlab:image",
    );
    expect(fs.readFileSync(alice, "utf8")).toContain("swarmlab:flavor: m1.large");
    expect(fs.readFileSync(path.join(dir, "Pulumi.bob.yaml"), "utf8")).toContain(
      "swarmlab:workers: 3",
    );
    // The hand-set value stays the student's on later runs too.
    expect(initClass(roster(2).students, dir)[0]).toMatchObject({
      action: "unchanged",
      kept: ["swarmlab:workers"],
    });
  });

  it("checks the file as the stack will read it, hand-set values included", () => {
    initClass(roster(2).students, dir);
    const bob = path.join(dir, "Pulumi.bob.yaml");
    fs.writeFileSync(bob, fs.readFileSync(bob, "utf8") + "  swarmlab:managers: 2\n");
    expect(initClass(roster(2).students, dir)[1].problems).toEqual([
      "swarmlab:managers: is 2: a swarm needs an odd number of managers (1, 3, 5 or 7) to keep quorum; 2 managers tolerate no more failures than 1",
    ]);
  });
});
