import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblems, parseRoster } from "../../scripts/class/roster";
import { rosterWording } from "../../scripts/class/roster-checks";

const CIDRS = "    allowedCidrs: [203.0.113.0/24]";

function problemsOf(text: string): string[] {
  const result = parseRoster(text);
  if (result.ok) throw new Error("expected problems, got a valid roster");
  return result.problems;
}

describe("parseRoster", () => {
  it("merges class defaults with each student's overrides into stack config", () => {
    const result = parseRoster(
      [
        "class:",
        "  expires: 2026-12-18",
        "  openstack: { cloud: campus }",
        "  swarmlab:",
        CIDRS,
        "    workers: 2",
        "students:",
        "  - alice",
        "  - id: bob",
        "    expires: 2027-01-15",
        "    openstack: { cloud: bob-project }",
        "    swarmlab: { workers: 3, storageDriver: btrfs, dockerVolumeSize: 20 }",
      ].join("\n"),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.roster.students).toEqual([
      {
        id: "alice",
        expires: "2026-12-18",
        project: { cloud: "campus" },
        config: {
          "openstack:cloud": "campus",
          "swarmlab:allowedCidrs": ["203.0.113.0/24"],
          "swarmlab:workers": 2,
        },
      },
      {
        id: "bob",
        expires: "2027-01-15",
        project: { cloud: "bob-project" },
        config: {
          "openstack:cloud": "bob-project",
          "swarmlab:allowedCidrs": ["203.0.113.0/24"],
          "swarmlab:workers": 3,
          "swarmlab:storageDriver": "btrfs",
          "swarmlab:dockerVolumeSize": 20,
        },
      },
    ]);
    expect(result.warnings).toEqual([]);
  });

  it("passes on the program's warnings", () => {
    const result = parseRoster(
      "class:\n  swarmlab: { allowedCidrs: [0.0.0.0/0] }\nstudents: [alice]",
    );
    // The class section's value: said once, for the class (issue 26, item 11).
    expect(result.ok && result.warnings[0]).toMatch(
      /^class: swarmlab:allowedCidrs contains 0\.0\.0\.0\/0/,
    );
  });

  it("lists every problem of a bad roster at once, with exact messages", () => {
    const problems = problemsOf(
      [
        "klass: {}",
        "class:",
        "  expire: 2026-12-18",
        "  openstack: { cloud: campus, password: hunter2 }",
        "  swarmlab:",
        CIDRS,
        "    wrokers: 3",
        "students:",
        "  - alice",
        "  - id: alice",
        "  - id: Bob Smith",
        "  - id: carol",
        "    expires: 2026-02-30",
        "    swarmlab: { managers: 2, workers: 60 }",
        "  - id: dave",
        "    name: Dave",
        "  - swarmlab: { workers: 1 }",
        "  - 42",
        "  - id: erin",
        "    swarmlab: { owner: alice }",
        "  - id: frank",
        "    swarmlab: { cidr: { secure: abc } }",
      ].join("\n"),
    );
    expect(problems).toEqual([
      'class.yaml: unknown key "klass"; known keys are class, students',
      'class: unknown key "expire"; known keys are expires, openstack, swarmlab',
      'class.openstack: unknown key "password"; known keys are cloud, region, tenantName, tenantId',
      expect.stringMatching(
        /^class\.swarmlab: unknown key "wrokers"; known keys are owner, managers, workers, /,
      ),
      'students[1].id: "alice" is already the id of students[0]; ids name stacks, so they must differ',
      'students[2].id: is "Bob Smith": it names the stack and the owner, so it must start with a letter and hold only a-z, 0-9 and -, at most 30 characters (e.g. "bob-smith")',
      'students[3] (carol).expires: is "2026-02-30": write the last day as YYYY-MM-DD, e.g. 2026-12-18',
      "students[3] (carol).swarmlab.managers: is 2: a swarm needs an odd number of managers (1, 3, 5 or 7) to keep quorum; 2 managers tolerate no more failures than 1",
      "students[3] (carol).swarmlab.workers: is 60: set a number of workers from 0 to 50",
      'students[4] (dave): unknown key "name"; known keys are id, expires, openstack, swarmlab',
      'students[5].id: is missing; every student needs an id such as "alice"',
      'students[6]: must be an id or a map with "id"',
      'students[7] (erin): owner "alice" is also the owner of students[0] (alice) in the same OpenStack project, so their resource names would collide; give one another swarmlab.owner',
      "students[8] (frank).swarmlab.cidr: is a secret; swarmlab has no secret settings",
    ]);
  });

  it("refuses a roster without students, or that is not a map, or not YAML", () => {
    expect(problemsOf("class: {}")).toEqual([
      'class.yaml: students: list at least one student, e.g. "- id: alice"',
    ]);
    expect(problemsOf("- alice")).toEqual([
      'class.yaml: must be a map with "class" and "students"',
    ]);
    expect(problemsOf("students: [a")[0]).toMatch(/^class\.yaml: is not valid YAML: /);
  });

  // Issue 21, item 5: the stack file is checked as `pulumi preview` checks it, so the engine's
  // own refusal (a required key missing, a value of the wrong type) comes first, then the
  // program's validation. Issue 26, item 11: the fix is worded for class.yaml, where it belongs.
  it("reports what the engine refuses in the stack file a student would get", () => {
    expect(problemsOf("students: [alice]")).toEqual([
      "class.swarmlab.allowedCidrs: is not set, and Pulumi.yaml declares no default for it, so the engine refuses the stack before swarmlab runs: add e.g. `allowedCidrs: [VALUE]` (a YAML list, not a string)",
    ]);
    expect(
      problemsOf(
        "class: { swarmlab: { allowedCidrs: '[\"203.0.113.0/24\"]' } }\nstudents: [alice]",
      ),
    ).toEqual([
      `class.swarmlab.allowedCidrs: is "[\\"203.0.113.0/24\\"]": Pulumi.yaml declares it of type 'array<string>', so the engine refuses the stack: write e.g. \`allowedCidrs: [VALUE]\` (a YAML list, not a string)`,
    ]);
  });

  it("reports the program's own validation for a value a class default gets wrong, once", () => {
    expect(
      problemsOf(
        "class: { swarmlab: { allowedCidrs: [203.0.113.0/24], managers: 2 } }\nstudents: [alice]",
      ),
    ).toEqual([expect.stringMatching(/^class\.swarmlab\.managers: is 2: /)]);
  });

  it("lets equal owners live in different OpenStack projects", () => {
    const result = parseRoster(
      [
        "class: { swarmlab: { allowedCidrs: [203.0.113.0/24] } }",
        "students:",
        "  - alice",
        "  - { id: alice2, openstack: { tenantName: other }, swarmlab: { owner: alice } }",
      ].join("\n"),
    );
    expect(result.ok).toBe(true);
  });
});

describe("per-student projects", () => {
  // gophercloud/utils terraform/auth/config.go (under terraform-provider-openstack v1.54.1):
  // with `cloud` set, tenant_name/tenant_id are never read.
  it("refuses tenantName beside cloud, which the provider would ignore", () => {
    expect(
      problemsOf(
        [
          "class: { openstack: { cloud: campus }, swarmlab: { allowedCidrs: [203.0.113.0/24] } }",
          "students:",
          "  - { id: dave, openstack: { tenantName: thesis-dave } }",
        ].join("\n"),
      ),
    ).toEqual([
      expect.stringMatching(
        /^students\[0\] \(dave\)\.openstack: tenantName is set beside cloud "campus": the OpenStack provider then reads only that clouds\.yaml entry.*name it in cloud instead$/,
      ),
    ]);
  });
});

const TEACHER_GUIDE = fs.readFileSync(path.join(__dirname, "../../docs/teacher.md"), "utf8");
/** The roster the teacher's guide shows, as a teacher would copy it. */
const DOCS_ROSTER = /```yaml\n(# class\.yaml\n[\s\S]*?)```/.exec(TEACHER_GUIDE)?.[1] ?? "";

describe("the teacher's guide's class.yaml", () => {
  it("is a valid roster", () => {
    const example = DOCS_ROSTER;
    const result = parseRoster(example ?? "");
    expect(result.ok && result.roster.students.map((s) => [s.id, s.expires, s.project])).toEqual([
      ["alice", "2026-12-18", { cloud: "campus" }],
      ["bob", "2026-12-18", { cloud: "campus" }],
      ["carol", "2026-12-18", { cloud: "campus" }],
      ["dave", "2027-01-15", { cloud: "campus-thesis-dave" }],
    ]);
  });
});

describe("the roster's rough edges (issue 26, item 11)", () => {
  const CLASS = "class:\n  swarmlab: { allowedCidrs: [203.0.113.0/24] }\n";

  it("finds two students with one owner even when one of them has another problem too", () => {
    const problems = problemsOf(
      `${CLASS}students:\n  - alice\n  - { id: bob, swarmlab: { owner: alice, workers: 60 } }\n`,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^students\[1\] \(bob\): owner "alice" is also the owner of students\[0\] \(alice\)/,
      ),
      "students[1] (bob).swarmlab.workers: is 60: set a number of workers from 0 to 50",
    ]);
  });

  it("suggests an id that keeps a leading digit", () => {
    expect(problemsOf(`${CLASS}students: ["3po"]\n`)).toEqual([
      expect.stringMatching(/^students\[0\]\.id: is "3po": .* \(e\.g\. "s-3po"\)$/),
    ]);
  });

  it("says at once when a last day is already past", () => {
    const result = parseRoster(
      `${CLASS}students:\n  - { id: alice, expires: 2026-11-30 }\n  - { id: bob, expires: 2026-12-31 }\n`,
      "class.yaml",
      "2026-12-01",
    );
    expect(result.ok && result.warnings).toEqual([
      "students[0] (alice): its last day 2026-11-30 is already past (today is 2026-12-01): `class destroy --expired` destroys this cluster; change expires if that is not meant",
    ]);
  });
});

// Issue 26, item 11: a problem of the class section was repeated once per student (23 lines for
// about 10 problems), and its fix said `pulumi config set --path …`, a command for one stack file
// that the next `class init` rewrites. Rosters in the shape of docs/teacher.md's example.
describe("problems of the class section, said once and fixed in class.yaml", () => {
  /** The guide's roster with `extra` lines added to its class `swarmlab:` section. */
  function withClassSettings(extra: string[], roster = DOCS_ROSTER): string {
    const anchor = "    workers: 2\n";
    if (!roster.includes(anchor)) throw new Error("the guide's roster changed: update this test");
    return roster.replace(anchor, `${anchor}${extra.map((l) => `    ${l}\n`).join("")}`);
  }

  it("says each class-wide problem once, and no student's line for it", () => {
    const problems = problemsOf(
      withClassSettings(["managers: 2", "stacks: [hostname, quiz]", "storageDriver: zfs"]),
    );
    expect(problems).toEqual([
      "class.swarmlab.managers: is 2: a swarm needs an odd number of managers (1, 3, 5 or 7) to keep quorum; 2 managers tolerate no more failures than 1",
      expect.stringMatching(
        /^class\.swarmlab\.dockerVolumeSize: is not set but storageDriver is zfs: .*`dockerVolumeSize: 20`/,
      ),
      'class.swarmlab.stacks: names "quiz", which is not a stack of stacks/: choose from counter, hostname, mediawiki, monitoring, proxy, visualizer',
    ]);
    // carol sets storageDriver btrfs and dockerVolumeSize herself: none of the zfs problems is hers.
    expect(problems.join("\n")).not.toMatch(/students\[/);
  });

  it("keeps a student's own problem on the student, beside the class's", () => {
    const roster = withClassSettings(["managers: 2"]).replace(
      "      workers: 3\n",
      "      workers: 60\n",
    );
    const result = parseRoster(roster);
    expect(result.ok ? [] : formatProblems("class.yaml", result.problems)).toBe(
      /```text\n(class\.yaml has 2 problems[\s\S]*?)\n```/.exec(TEACHER_GUIDE)?.[1],
    );
  });

  it("names the value to write in class.yaml, not a pulumi command", () => {
    const problems = problemsOf(
      withClassSettings(["storageDriver: btrfs"]).replace(/ {4}allowedCidrs: .*\n/, ""),
    );
    expect(problems).toEqual([
      "class.swarmlab.allowedCidrs: is not set, and Pulumi.yaml declares no default for it, so the engine refuses the stack before swarmlab runs: add e.g. `allowedCidrs: [VALUE]` (a YAML list, not a string)",
    ]);
    const program = problemsOf(withClassSettings(["storageDriver: btrfs"]));
    expect(program).toEqual([
      "class.swarmlab.dockerVolumeSize: is not set but storageDriver is btrfs: btrfs needs a Cinder volume of its own; set e.g. `dockerVolumeSize: 20` (at least 5 GiB)",
    ]);
    for (const line of [...problems, ...program]) expect(line).not.toContain("pulumi config");
  });

  it("says a type the engine refuses once, with the YAML to write", () => {
    expect(
      problemsOf(withClassSettings(["autolock: yes please", "dnsNameservers: 10.0.0.53"])),
    ).toEqual([
      "class.swarmlab.autolock: is \"yes please\": Pulumi.yaml declares it of type 'boolean', so the engine refuses the stack: write e.g. `autolock: false`",
      "class.swarmlab.dnsNameservers: is \"10.0.0.53\": Pulumi.yaml declares it of type 'array<string>', so the engine refuses the stack: write e.g. `dnsNameservers: [VALUE]` (a YAML list, not a string)",
    ]);
  });
});

describe("warnings of the class section", () => {
  it("say a class's past last day once, naming the students it applies to", () => {
    const result = parseRoster(DOCS_ROSTER, "class.yaml", "2026-12-19");
    expect(result.ok && result.warnings).toEqual([
      "class.expires: the class's last day 2026-12-18 is already past (today is 2026-12-19): `class destroy --expired` destroys the clusters of alice, bob, carol; change expires if that is not meant",
    ]);
  });

  it("are said once for the class; a student's own stays the student's", () => {
    const roster = DOCS_ROSTER.replace(
      "allowedCidrs: [203.0.113.0/24]",
      "allowedCidrs: [0.0.0.0/0]",
    ).replace(
      "  - bob\n",
      "  - { id: bob, swarmlab: { allowedCidrs: [203.0.113.0/24, 198.51.100.0/24, 0.0.0.0/0] } }\n",
    );
    const result = parseRoster(roster);
    const warnings = result.ok ? result.warnings : result.problems;
    expect(warnings.map((w) => w.replace(/ 0\.0\.0\.0\/0.*$/, " 0.0.0.0/0 …"))).toEqual([
      "class: swarmlab:allowedCidrs contains 0.0.0.0/0 …",
      expect.stringMatching(/^students\[1\] \(bob\): swarmlab:allowedCidrs contains/),
    ]);
  });
});

describe("rosterWording", () => {
  it("turns the program's `pulumi config` fixes into class.yaml values", () => {
    expect(
      rosterWording(
        "it must be a list of stack names, e.g. `pulumi config set --path 'swarmlab:stacks[0]' hostname`, then `pulumi config set --path 'swarmlab:stacks[1]' counter`",
      ),
    ).toBe("it must be a list of stack names, e.g. `stacks: [hostname, counter]`");
    expect(rosterWording("set it with `pulumi config set swarmlab:owner alice`")).toBe(
      "set it with `owner: alice`",
    );
    expect(
      rosterWording("remove it (`pulumi config rm swarmlab:foo`), or in Pulumi.alice.yaml"),
    ).toBe("remove it (remove `foo`), or in class.yaml");
    const secret =
      "`pulumi config set --secret --path 'swarmlab:stackExternals.secrets.x.value' VALUE`";
    expect(rosterWording(`set ${secret}`)).toBe(`set ${secret}`);
  });
});
