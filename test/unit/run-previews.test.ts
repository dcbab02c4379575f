/**
 * Issue 21, item 7: scripts/preview-summary/run-previews.sh against a stand-in `pulumi` (the CLI
 * cannot run here) that plays, from pulumi/pulumi's source, what the script depends on:
 * - a non-interactive command on a stack the backend does not have stops with
 *   "error: no stack named '<stack>' found" (pkg/backend/backenderr/backenderr.go); `stack select
 *   --create` creates it, and selects one that exists (pkg/cmd/pulumi/stack/stack_select.go);
 * - `--event-log` is a flag only with PULUMI_DEBUG_COMMANDS=true
 *   (pkg/cmd/pulumi/operations/preview.go), else cobra stops at "unknown flag: --event-log".
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = path.join(__dirname, "../../scripts/preview-summary/run-previews.sh");

const FAKE_PULUMI = `#!/usr/bin/env bash
set -u
echo "$*" >>"$FAKE_BACKEND/calls"
has() { local f; for f in "\${@:2}"; do [[ $f == "$1" ]] && return 0; done; return 1; }
if [[ $1 == stack && $2 == select ]]; then
  stack=\${!#}
  if [[ -e $FAKE_BACKEND/$stack ]]; then exit 0; fi
  if has --create "$@"; then touch "$FAKE_BACKEND/$stack"; echo "Created stack '$stack'"; exit 0; fi
  echo "error: no stack named '$stack' found" >&2; exit 255
fi
if [[ $1 == preview ]]; then
  if has --event-log "$@" && [[ \${PULUMI_DEBUG_COMMANDS:-} != true ]]; then
    echo "error: unknown flag: --event-log" >&2; exit 255
  fi
  stack=""; log=""; prev=""
  for a in "$@"; do
    [[ $prev == --stack ]] && stack=$a
    [[ $prev == --event-log ]] && log=$a
    prev=$a
  done
  if [[ ! -e $FAKE_BACKEND/$stack ]]; then
    echo "error: no stack named '$stack' found" >&2; exit 255
  fi
  [[ -n $log ]] && echo '{"sequence":0,"timestamp":1,"cancelEvent":{}}' >"$log"
  echo '{"steps":[]}'
  exit 0
fi
echo "fake pulumi: unexpected $*" >&2; exit 2
`;

describe("run-previews.sh", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "run-previews-"));
    fs.mkdirSync(path.join(dir, "bin"));
    fs.mkdirSync(path.join(dir, "backend"));
    fs.writeFileSync(path.join(dir, "bin", "pulumi"), FAKE_PULUMI, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "backend", "alice"), ""); // alice's stack exists already
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(...stacks: string[]) {
    return runWith({}, ...stacks);
  }

  function runWith(env: Record<string, string>, ...stacks: string[]) {
    const result = spawnSync("bash", [SCRIPT, path.join(dir, "out"), ...stacks], {
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? ""}`,
        FAKE_BACKEND: path.join(dir, "backend"),
        ...env,
      },
    });
    const read = (file: string) => fs.readFileSync(path.join(dir, "out", file), "utf8");
    return { status: result.status, read };
  }

  it("creates the stack of a stack file added in the pull request, then previews it", () => {
    const { status, read } = run("alice", "newcomer");
    expect(status).toBe(0);
    expect(read("newcomer.exit").trim()).toBe("0");
    expect(read("alice.exit").trim()).toBe("0");
    expect(read("newcomer.json")).toBe('{"steps":[]}\n');
    expect(fs.existsSync(path.join(dir, "backend", "newcomer"))).toBe(true);
  });

  it("writes each stack's event stream, where the policy violations are", () => {
    const { read } = run("alice");
    expect(read("alice.events.jsonl")).toContain('"cancelEvent"');
    const calls = fs.readFileSync(path.join(dir, "backend", "calls"), "utf8");
    expect(calls).toMatch(
      /^preview --stack alice --json --non-interactive --color never --event-log \S+alice\.events\.jsonl --policy-pack policy --policy-pack-config policy\/config\.json$/m,
    );
  });

  it("takes the policy pack from SWARMLAB_POLICY_PACK (CI: the base branch's copy)", () => {
    runWith({ SWARMLAB_POLICY_PACK: "protected/policy" }, "alice");
    const calls = fs.readFileSync(path.join(dir, "backend", "calls"), "utf8");
    expect(calls).toMatch(
      / --policy-pack protected\/policy --policy-pack-config protected\/policy\/config\.json$/m,
    );
  });
});
