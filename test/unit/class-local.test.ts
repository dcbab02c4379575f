/**
 * A local class (swarmlab:cloud docker): every student's stack on this machine's one Docker
 * engine. `class init` gives each a cidr and localPortOffset of its own, the roster refuses
 * clashes it is given, and warns when the clusters together outgrow the machine's memory.
 * The files are real files in a temporary folder, read back as the next run and the stack read
 * them; each written file is checked by the program's own validation (InitResult.problems).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ClassInitRefused, initClass, RECORD_DIR } from "../../scripts/class/init";
import {
  assignLocalSlots,
  MAX_LOCAL_STUDENTS,
  type SlotInput,
} from "../../scripts/class/local-class";
import { classFiles } from "./support/class-files";
import { localHostPorts } from "../../infra/config/local-ports";
import { parseRoster, type Roster } from "../../scripts/class/roster";

const GIB = 1024 ** 3;
/** A machine big enough for every roster here, unless a test says otherwise. */
const BIG = { totalMemoryBytes: 64 * GIB };

function rosterText(students: readonly string[], classExtra = ""): string {
  return [
    "class:",
    `  swarmlab: { cloud: docker, allowedCidrs: [127.0.0.1/32]${classExtra} }`,
    "students:",
    ...students.map((s) => `  - ${s}`),
  ].join("\n");
}

function roster(students: readonly string[], classExtra = ""): Roster {
  const result = parseRoster(rosterText(students, classExtra), "class.yaml", undefined, BIG);
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.roster;
}

function problemsOf(text: string): string[] {
  const result = parseRoster(text, "class.yaml", undefined, BIG);
  if (result.ok) throw new Error("expected problems, got a valid roster");
  return result.problems;
}

describe("class init of a local class", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "class-local-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const stackFile = (id: string) => fs.readFileSync(path.join(dir, `Pulumi.${id}.yaml`), "utf8");
  const slotOf = (id: string) => {
    const text = stackFile(id);
    return [
      /swarmlab:cidr: (\S+)/.exec(text)?.[1],
      Number(/swarmlab:localPortOffset: (\d+)/.exec(text)?.[1]),
    ];
  };
  const snapshot = () => classFiles(dir);

  it("gives the k-th local student 10.42.k.0/24 and offset 100 × k; each file passes preview's checks", () => {
    const results = initClass(roster(["alice", "bob", "carol"]).students, dir);
    expect(results.map((r) => [r.id, r.action, r.problems])).toEqual([
      ["alice", "created", []],
      ["bob", "created", []],
      ["carol", "created", []],
    ]);
    expect(["alice", "bob", "carol"].map(slotOf)).toEqual([
      ["10.42.0.0/24", 0],
      ["10.42.1.0/24", 100],
      ["10.42.2.0/24", 200],
    ]);
    // Through the record like any roster value: a later hand edit is the student's.
    expect(
      JSON.parse(fs.readFileSync(path.join(dir, RECORD_DIR, "bob.json"), "utf8")),
    ).toMatchObject({ "swarmlab:cidr": "10.42.1.0/24", "swarmlab:localPortOffset": 100 });
  });

  it("changes nothing on a second run, and a student added at the end takes the next slot", () => {
    initClass(roster(["alice", "bob"]).students, dir);
    const before = snapshot();
    expect(initClass(roster(["alice", "bob"]).students, dir).map((r) => r.action)).toEqual([
      "unchanged",
      "unchanged",
    ]);
    expect(snapshot()).toEqual(before);

    const results = initClass(roster(["alice", "bob", "dave"]).students, dir);
    expect(results.map((r) => r.action)).toEqual(["unchanged", "unchanged", "created"]);
    expect(slotOf("dave")).toEqual(["10.42.2.0/24", 200]);
  });

  it("keeps the others' slots when a student is removed, and gives the freed one to the next added", () => {
    initClass(roster(["alice", "bob", "carol"]).students, dir);
    expect(initClass(roster(["alice", "carol"]).students, dir).map((r) => r.action)).toEqual([
      "unchanged",
      "unchanged",
    ]);
    expect(slotOf("carol")).toEqual(["10.42.2.0/24", 200]);
    initClass(roster(["alice", "carol", "erin"]).students, dir);
    expect(slotOf("erin")).toEqual(["10.42.1.0/24", 100]);
  });

  it("keeps values set by hand, and gives no one else a slot they meet", () => {
    initClass(roster(["alice", "bob"]).students, dir);
    const bob = path.join(dir, "Pulumi.bob.yaml");
    fs.writeFileSync(
      bob,
      stackFile("bob")
        .replace("swarmlab:cidr: 10.42.1.0/24", "swarmlab:cidr: 10.42.2.0/23 # by hand")
        .replace("swarmlab:localPortOffset: 100", "swarmlab:localPortOffset: 200 # by hand"),
    );
    const results = initClass(roster(["alice", "bob", "carol"]).students, dir);
    expect(results.map((r) => [r.id, r.action, r.problems])).toEqual([
      ["alice", "unchanged", []],
      ["bob", "unchanged", []],
      ["carol", "created", []],
    ]);
    expect(stackFile("bob")).toContain("swarmlab:cidr: 10.42.2.0/23 # by hand");
    expect(stackFile("bob")).toContain("swarmlab:localPortOffset: 200 # by hand");
    // The third slot (10.42.2.0/24, 200) is bob's by hand now: carol gets the one bob left.
    expect(slotOf("carol")).toEqual(["10.42.1.0/24", 100]);
  });

  it("leaves a roster's own cidr and offset to the roster, and skips the slots they take", () => {
    const students = roster([
      "alice",
      "{ id: bob, swarmlab: { cidr: 10.42.0.0/24, localPortOffset: 0 } }",
    ]).students;
    initClass(students, dir);
    expect(slotOf("bob")).toEqual(["10.42.0.0/24", 0]);
    expect(slotOf("alice")).toEqual(["10.42.1.0/24", 100]);
  });

  it("gives students on OpenStack nothing", () => {
    const result = parseRoster(
      [
        "class:",
        "  openstack: { cloud: campus }",
        "  swarmlab: { allowedCidrs: [203.0.113.0/24] }",
        "students:",
        "  - alice",
        "  - id: bob",
        "    swarmlab: { cloud: docker, allowedCidrs: [127.0.0.1/32] }",
        "  - carol",
        "  - id: dave",
        "    swarmlab: { cloud: docker, allowedCidrs: [127.0.0.1/32] }",
      ].join("\n"),
      "class.yaml",
      undefined,
      BIG,
    );
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const results = initClass(result.roster.students, dir);
    expect(results.every((r) => r.problems.length === 0)).toBe(true);
    expect(stackFile("alice")).not.toMatch(/cidr|localPortOffset/);
    expect(slotOf("bob")).toEqual(["10.42.0.0/24", 0]);
    expect(slotOf("dave")).toEqual(["10.42.1.0/24", 100]);
  });

  it("refuses, writing nothing, when a student's slot cannot be found", () => {
    initClass(roster(["alice"]).students, dir);
    const before = snapshot();
    // By hand, alice takes the whole of 10.42.0.0/16: no 10.42.k.0/24 is left for bob.
    const alice = path.join(dir, "Pulumi.alice.yaml");
    fs.writeFileSync(alice, stackFile("alice").replace("10.42.0.0/24", "10.42.0.0/16"));
    expect(() => initClass(roster(["alice", "bob"]).students, dir)).toThrow(
      new ClassInitRefused(
        [
          "bob: no cidr is left for it: the other local students hold all 256 that init gives " +
            "(or meet them); set one for bob in class.yaml, or free one",
        ],
        "problem(s) with the local class",
        "Fix class.yaml and run init again.",
      ),
    );
    expect(fs.existsSync(path.join(dir, "Pulumi.bob.yaml"))).toBe(false);
    expect(Object.keys(snapshot())).toEqual(Object.keys(before));
  });
  it("refuses a roster value that meets a value init gave another student before", () => {
    initClass(roster(["alice", "bob"]).students, dir);
    // carol joins with bob's subnet written in the roster.
    const next = roster(["alice", "bob", "{ id: carol, swarmlab: { cidr: 10.42.1.0/24 } }"]);
    expect(() => initClass(next.students, dir)).toThrow(
      new ClassInitRefused(
        [
          "cidr: carol's \"10.42.1.0/24\" (class.yaml) is the same subnet as bob's " +
            '"10.42.1.0/24" (Pulumi.bob.yaml, written by init), on this machine\'s one Docker ' +
            "engine; change one in class.yaml, or in its stack file: set another there, or " +
            "delete a value init wrote to have init choose a free one",
        ],
        "problem(s) with the local class",
        "Fix class.yaml and run init again.",
      ),
    );
    expect(fs.existsSync(path.join(dir, "Pulumi.carol.yaml"))).toBe(false);
  });
});

describe("assignLocalSlots", () => {
  const student = (id: string): SlotInput => ({
    id,
    managers: 1,
    config: {},
    file: {},
    record: {},
  });

  it(`gives ${MAX_LOCAL_STUDENTS} students (10.42.0.0/24 to 10.42.255.0/24) distinct slots, and refuses one more`, () => {
    const ids = Array.from({ length: MAX_LOCAL_STUDENTS }, (_, k) => `s${k}`);
    const fits = assignLocalSlots(ids.map(student));
    if (!fits.ok) throw new Error(fits.problems.join("\n"));
    expect(fits.values.get("s255")).toEqual({
      "swarmlab:cidr": "10.42.255.0/24",
      "swarmlab:localPortOffset": 25500,
    });
    expect(assignLocalSlots([...ids, "one-more"].map(student))).toEqual({
      ok: false,
      problems: [
        "the roster has 257 local students (swarmlab:cloud docker), but one machine's Docker " +
          "engine holds at most 256 side by side: init gives each a cidr of its own from " +
          "10.42.0.0/24 to 10.42.255.0/24 (256) and a localPortOffset of its own in steps of " +
          "100 up to 60535 (606); put the others on OpenStack (swarmlab.cloud: openstack in " +
          "their entries) or on another machine",
      ],
    });
  });

  it("counts every manager's SSH port when it looks for a free offset", () => {
    const carolWith = (managers: number, aliceManagers: number) => {
      const result = assignLocalSlots([
        { ...student("alice"), managers: aliceManagers, file: { "swarmlab:localPortOffset": 2 } },
        { ...student("carol"), managers },
      ]);
      if (!result.ok) throw new Error(result.problems.join("\n"));
      return result.values.get("carol")?.["swarmlab:localPortOffset"];
    };
    // alice at 2 with 3 managers holds SSH 2224 to 2226; carol's one manager at 0 has 2222.
    expect(carolWith(1, 3)).toBe(0);
    // carol's 3 managers at 0 would have 2222 to 2224, and 2224 is alice's manager-0.
    expect(carolWith(3, 1)).toBe(100);
  });
});

describe("a local class's roster checks", () => {
  it("refuses a cidr or offset the class section gives every local student, once", () => {
    expect(
      problemsOf(
        rosterText(["alice", "bob", "carol"], ", cidr: 10.50.0.0/24, localPortOffset: 300"),
      ),
    ).toEqual([
      'class.swarmlab.cidr: is "10.50.0.0/24" for each of the local students alice, bob, carol: ' +
        "each local stack's bridge network needs a subnet no other network on this machine's one " +
        "Docker engine overlaps (Docker refuses the second); remove it from class: (`class init` " +
        "then gives each local student its own 10.42.k.0/24), or give each student a different " +
        "one in its own entry",
      "class.swarmlab.localPortOffset: is 300 for each of the local students alice, bob, carol: " +
        "every local stack publishes its ports on 127.0.0.1 of this one machine, and only one " +
        "can listen on a port; remove it from class: (`class init` then gives each local " +
        "student its own, 100 × k), or give each student a different one in its own entry",
    ]);
  });

  it("refuses students' own values that overlap, naming both and the ports", () => {
    expect(
      problemsOf(
        rosterText([
          "{ id: alice, swarmlab: { cidr: 10.42.0.0/24, managers: 3, localPortOffset: 0 } }",
          "{ id: bob, swarmlab: { cidr: 10.42.0.0/16, localPortOffset: 2 } }",
          "{ id: carol, swarmlab: { cidr: 10.42.0.0/24, localPortOffset: 500 } }",
        ]),
      ),
    ).toEqual([
      'students[1] (bob).swarmlab.cidr: is "10.42.0.0/16", which overlaps ' +
        'students[0] (alice) ("10.42.0.0/24"): each local stack\'s bridge network needs a subnet ' +
        "no other network on this machine's one Docker engine overlaps (Docker refuses the " +
        "second); remove it (`class init` then gives each local student its own 10.42.k.0/24) " +
        "or choose one that meets no other",
      'students[2] (carol).swarmlab.cidr: is "10.42.0.0/24", which is the same subnet as ' +
        'students[0] (alice) ("10.42.0.0/24"): each local stack\'s bridge network needs a subnet ' +
        "no other network on this machine's one Docker engine overlaps (Docker refuses the " +
        "second); remove it (`class init` then gives each local student its own 10.42.k.0/24) " +
        "or choose one that meets no other",
      "students[1] (bob).swarmlab.localPortOffset: is 2, which shares port 2224 on 127.0.0.1 " +
        "with students[0] (alice) (0): every local stack publishes its ports on 127.0.0.1 of " +
        "this one machine, and only one can listen on a port; remove it (`class init` then " +
        "gives each local student its own, 100 × k) or choose one that meets no other",
    ]);
  });

  it("lets OpenStack students share a cidr: each has its own network there", () => {
    const result = parseRoster(
      [
        "class:",
        "  openstack: { cloud: campus }",
        "  swarmlab: { allowedCidrs: [203.0.113.0/24], cidr: 10.50.0.0/24 }",
        "students: [alice, bob]",
      ].join("\n"),
      "class.yaml",
      undefined,
      BIG,
    );
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it("warns when the local clusters together outgrow the machine's memory", () => {
    const text = rosterText(["alice", "bob", "carol"], ", workers: 2");
    // 3 students × 3 nodes × 1 GiB + 2 GiB for the machine = 11 GiB; each alone (5 GiB) fits 8.
    const small = parseRoster(text, "class.yaml", undefined, { totalMemoryBytes: 8 * GIB });
    expect(small).toEqual({
      ok: true,
      roster: expect.anything() as unknown,
      warnings: [
        "class: the 3 local students (alice, bob, carol) make 9 nodes on this machine's one " +
          "Docker engine, about 11 GiB with all clusters up (1 GiB a node, 2 GiB for the " +
          "machine itself), but it has 8.0 GiB: nodes would be killed for memory or the " +
          "machine would swap; bring a few up at a time (`class up --only a,b`, `class " +
          "destroy` after), lower workers, or put some students on OpenStack",
      ],
    });
    // 11 GiB fits exactly: no warning.
    expect(
      parseRoster(text, "class.yaml", undefined, { totalMemoryBytes: 11 * GIB }),
    ).toMatchObject({ ok: true, warnings: [] });
  });
});

describe("the teacher's guide's local class", () => {
  const guide = fs.readFileSync(path.join(__dirname, "../../docs/teacher.md"), "utf8");
  const section = guide.slice(guide.indexOf("## A local class"));
  const example = /```yaml\n(# class\.yaml, a local class\n[\s\S]*?)```/.exec(section)?.[1];
  /** The table's rows: student, cidr, offset, host ports. */
  const rows = [
    ...section.matchAll(/^\| (\w+) +\| (10\.42\.\d+\.0\/24) \| (\d+) +\| ([\d, ]+?) +\|$/gm),
  ];

  it("is what init writes for its class.yaml, ports included", () => {
    if (example === undefined) throw new Error("the guide has no local class.yaml");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "class-local-doc-"));
    try {
      const result = parseRoster(example, "class.yaml", undefined, BIG);
      if (!result.ok) throw new Error(result.problems.join("\n"));
      expect(initClass(result.roster.students, dir).every((r) => r.problems.length === 0)).toBe(
        true,
      );
      const written = result.roster.students.map((s) => {
        const text = fs.readFileSync(path.join(dir, `Pulumi.${s.id}.yaml`), "utf8");
        const offset = Number(/swarmlab:localPortOffset: (\d+)/.exec(text)?.[1]);
        const ports = localHostPorts(1, offset).map((p) => p.hostPort);
        return [s.id, /swarmlab:cidr: (\S+)/.exec(text)?.[1], String(offset), ports.join(", ")];
      });
      expect(rows.map((r) => r.slice(1, 5))).toEqual(written);
      expect(written).toHaveLength(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
