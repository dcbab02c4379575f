/**
 * ManagerStep's provider as the engine drives it: through the SDK's own dynamic-provider host
 * (a separate process speaking gRPC, support/dynamic-host.ts), with the provider's code
 * serialised into `__provider` by the SDK's closure serializer, exactly what
 * pulumi.dynamic.Resource stores (@pulumi/pulumi/dynamic/index.js serializeProvider). The managers
 * are real SSH servers on loopback (support/fake-managers.ts).
 *
 * What stands in for the engine here is only the order of the calls and what it keeps between
 * them: a create's or an update's returned properties become the state; refresh (Read) and
 * destroy (Delete) get the state's properties, and with them the `__provider` stored there
 * (pulumi/pulumi pkg/resource/deploy/step.go; the host's own comment in
 * cmd/dynamic-provider/index.js says delete uses "the provider with which it was created").
 */
import * as path from "node:path";
import {
  DynamicHost,
  serialisedProvider,
  serialiseProviders,
  startDynamicHost,
} from "./support/dynamic-host";
import {
  ANSWERING,
  FakeManagers,
  NO_ANSWER_DEADLINES,
  REFUSING,
  startFakeManagers,
  stepInputs,
} from "./support/fake-managers";

const PROVIDER = path.join(__dirname, "../../infra/swarm/manager-step-provider.ts");
const NEXT_PROVIDER = path.join(__dirname, "fixtures/next-manager-step-provider.ts");

let fake: FakeManagers;
let host: DynamicHost;

beforeAll(async () => {
  // The providers' code is serialised in one child process while the host starts in another.
  [fake, host] = await Promise.all([
    startFakeManagers(42_000 + (process.pid % 10_000)),
    startDynamicHost(),
    serialiseProviders([
      [PROVIDER, "managerStepProvider"],
      [NEXT_PROVIDER, "nextProvider"],
    ]).then(() => undefined),
  ]);
}, 60_000);

afterAll(() => {
  host?.stop();
  fake?.close();
});

beforeEach(() => (fake.seen.length = 0));

function inputsWith(code: string, managers: string[]) {
  return {
    ...stepInputs(fake, managers, {
      delete: { command: "remove", stdin: "" },
      read: { command: "read", stdin: "" },
    }),
    __provider: code,
  } as Record<string, unknown>;
}

describe("ManagerStep through the SDK's dynamic-provider host", () => {
  it("check, create, diff, read and delete run the scripts on the first manager that answers", async () => {
    const code = serialisedProvider(PROVIDER, "managerStepProvider");
    const news = inputsWith(code, [REFUSING, ANSWERING[0]]);
    const checked = await host.check({}, news);
    expect(checked).toEqual(news);

    const created = await host.create(checked);
    expect(created.properties).toMatchObject({
      stdout: `${ANSWERING[0]} ran create with in\n`,
      answeredBy: ANSWERING[0],
      skipped: false,
      __provider: code,
    });
    expect(fake.seen).toEqual([`${ANSWERING[0]} create`]);

    // Unchanged inputs: no change, so the engine runs nothing on the second `up`.
    expect(await host.diff(created.id, created.properties, checked)).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: true,
    });
    // Triggers replace, deleting first; the host passes on exactly that.
    expect(
      await host.diff(created.id, created.properties, { ...checked, triggers: ["new-server"] }),
    ).toEqual({ changes: "some", replaces: ["triggers"], deleteBeforeReplace: true });

    // A refresh that reaches no manager keeps what it knew: who answered is not forgotten.
    const unreachable = { ...created.properties, managers: [REFUSING], ...NO_ANSWER_DEADLINES };
    const refreshed = await host.read(created.id, unreachable, checked);
    expect(refreshed.properties).toEqual(unreachable);
    const warned = /no manager answered SSH within 1 s.*refresh kept what it read/;
    expect(await host.stderrMatching(warned)).toMatch(warned);

    await host.delete(created.id, created.properties);
    expect(fake.seen).toEqual([`${ANSWERING[0]} create`, `${ANSWERING[0]} remove`]);
  }, 60_000);

  it("a change to the provider's own code is an update that stores it, so destroy runs the new delete", async () => {
    const before = serialisedProvider(PROVIDER, "managerStepProvider");
    const created = await host.create(await host.check({}, inputsWith(before, [ANSWERING[0]])));
    // The next release of the provider: its delete runs another command.
    const after = serialisedProvider(NEXT_PROVIDER, "nextProvider");
    expect(after).not.toEqual(before);

    const news = await host.check(created.properties, inputsWith(after, [ANSWERING[0]]));
    const diff = await host.diff(created.id, created.properties, news);
    // Without this change the engine would keep the old code in the state for good.
    expect(diff).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: true });
    const state = await host.update(created.id, created.properties, news);
    // The update stored the new code and ran nothing: the script did not change.
    expect(state.__provider).toBe(after);
    expect(state.stdout).toBe(created.properties.stdout);
    expect(fake.seen).toEqual([`${ANSWERING[0]} create`]);

    await host.delete(created.id, state);
    expect(fake.seen).toEqual([`${ANSWERING[0]} create`, `${ANSWERING[0]} fixed-delete`]);
  }, 60_000);
});
