/**
 * An extension of the mock monitor that runProgram (program.ts) installs, for tests of what the
 * real cloud and engine do that program.ts's mocks do not: it records the replacement options the
 * SDK sends (replaceOnChanges, replacementTrigger, deleteBeforeReplace, ignoreChanges) and answers Glance's image
 * look-up from a fake image list.
 *
 * Use it from a test file with
 *   jest.mock("@pulumi/pulumi/runtime/mocks", () =>
 *     jest.requireActual("./support/cloud-mocks").extendMockMonitor(
 *       jest.requireActual("@pulumi/pulumi/runtime/mocks")));
 * runProgram loads Pulumi in a fresh module registry per run; the state lives on globalThis so the
 * copy of this file in that registry and the test's copy share it.
 */

import { glanceImage } from "./mock-cloud";

/** What the SDK sent for one resource, beyond what program.ts records. */
export interface ReplacementOptions {
  replaceOnChanges: string[];
  /** The replacementTrigger value as the engine would compare it; undefined when not set. */
  replacementTrigger: unknown;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
}

export interface FakeCloud {
  /** Glance: image name -> ids of the visible images of that name (newest last). */
  images: Map<string, string[]>;
  /** Every `openstack:images/getImage:getImage` request, in order. */
  imageLookups: Record<string, unknown>[];
  /** By resource name. */
  options: Map<string, ReplacementOptions>;
}

const KEY = "__swarmlabFakeCloud";

export function fakeCloud(): FakeCloud {
  const global = globalThis as unknown as Record<string, FakeCloud | undefined>;
  global[KEY] ??= { images: new Map(), imageLookups: [], options: new Map() };
  return global[KEY];
}

/** Forgets what earlier runs recorded and sets Glance's images. */
export function resetFakeCloud(images: Record<string, readonly string[]>): FakeCloud {
  const cloud = fakeCloud();
  cloud.images = new Map(Object.entries(images).map(([name, ids]) => [name, [...ids]]));
  cloud.imageLookups = [];
  cloud.options = new Map();
  return cloud;
}

/** Glance from the fake image list, answering as the provider does (mock-cloud.ts: glanceImage). */
export function glanceLookup(inputs: Record<string, unknown>): Record<string, unknown> {
  return glanceImage(Object.fromEntries(fakeCloud().images), inputs);
}

type Request = {
  getName(): string;
  getReplaceonchangesList(): string[];
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  hasReplacementTrigger?(): boolean;
  getReplacementTrigger?(): { toJavaScript(): unknown } | undefined;
  getTok?(): string;
};
type MonitorClass = {
  prototype: {
    registerResource(req: Request, cb: unknown): unknown;
    invoke(req: Request, cb: (error: unknown, response?: unknown) => void): unknown;
  };
};

/** Patches the mock monitor class of `mocksModule` (the SDK's runtime/mocks) and returns it. */
export function extendMockMonitor<T extends { MockMonitor: unknown }>(mocksModule: T): T {
  const monitor = mocksModule.MockMonitor as MonitorClass;
  const register = monitor.prototype.registerResource;
  monitor.prototype.registerResource = function (req, cb) {
    const trigger = req.getReplacementTrigger?.();
    fakeCloud().options.set(req.getName(), {
      replaceOnChanges: req.getReplaceonchangesList(),
      replacementTrigger: trigger ? trigger.toJavaScript() : undefined,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
    });
    return register.call(this, req, cb);
  };
  const invoke = monitor.prototype.invoke;
  monitor.prototype.invoke = async function (req, cb) {
    if (req.getTok?.() !== "openstack:images/getImage:getImage") {
      await invoke.call(this, req, cb);
      return;
    }
    // Deserialised the way the SDK's own mock monitor does it.
    const rpc = jest.requireActual("@pulumi/pulumi/runtime/rpc");
    const structproto = jest.requireActual("google-protobuf/google/protobuf/struct_pb");
    const resproto = jest.requireActual("@pulumi/pulumi/proto/resource_pb");
    try {
      const inputs = rpc.deserializeProperties(
        (req as unknown as { getArgs(): unknown }).getArgs(),
      );
      fakeCloud().imageLookups.push(inputs);
      const response = new resproto.ResourceInvokeResponse();
      const serialized = await rpc.serializeProperties("", glanceLookup(inputs));
      response.setReturn(structproto.Struct.fromJavaScript(serialized));
      cb(null, response);
    } catch (error) {
      cb(error);
    }
  };
  return mocksModule;
}
