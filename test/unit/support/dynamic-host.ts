/**
 * The SDK's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`), started as the
 * engine starts it for `pulumi-nodejs:dynamic:Resource`: a child process that prints the port of
 * its gRPC ResourceProvider server. This client calls it with the engine's requests (Configure,
 * Check, Diff, Create, Update, Read, Delete), the properties as protobuf Structs and the
 * provider's code in `__provider`, so the provider runs deserialised, in another process, exactly
 * as under `pulumi up`. What the engine does between the calls (which outputs it stores, which
 * `__provider` a delete gets) is the test's to say: see pkg/resource/deploy/step.go in
 * pulumi/pulumi (delete and refresh send the stored outputs; update stores what it returns).
 */
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import * as path from "node:path";

const SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [SDK] }),
) as typeof import("@grpc/grpc-js");
const provrpc = require(path.join(SDK, "proto/provider_grpc_pb.js"));
const provproto = require(path.join(SDK, "proto/provider_pb.js"));
const structproto = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

type Props = Record<string, unknown>;

const serialised = new Map<string, string>();

/** A provider to serialise: the module's path and the name of the export. */
export type ProviderExport = [modulePath: string, exportName: string];

/**
 * `__provider` for the provider `exportName` of `modulePath`, as the SDK serialises it. A fresh
 * Node process makes it once per test file (the same code gives the same text; each process
 * loads the SDK and the TypeScript compiler anew, ~1.5 s of CPU), unless serialiseProviders
 * made it already.
 */
export function serialisedProvider(modulePath: string, exportName: string): string {
  const key = `${modulePath}#${exportName}`;
  if (!serialised.has(key)) {
    const output = execFileSync(process.execPath, serialiserArgs([[modulePath, exportName]]), {
      encoding: "utf8",
    });
    remember([[modulePath, exportName]], output);
  }
  return serialised.get(key) as string;
}

/**
 * Serialises every provider a test file uses in one child process, in the background (a file's
 * beforeAll awaits it beside its other set-up); serialisedProvider then returns them at once.
 */
export async function serialiseProviders(providers: ProviderExport[]): Promise<void> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      serialiserArgs(providers),
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}${stderr}`)) : resolve(stdout),
    );
  });
  remember(providers, output);
}

function serialiserArgs(providers: ProviderExport[]): string[] {
  return [
    "-r",
    "ts-node/register/transpile-only",
    path.join(__dirname, "serialise-provider.ts"),
    ...providers.flat(),
  ];
}

function remember(providers: ProviderExport[], output: string): void {
  const texts = JSON.parse(output) as string[];
  providers.forEach(([modulePath, exportName], i) =>
    serialised.set(`${modulePath}#${exportName}`, texts[i]),
  );
}

interface Message {
  [setter: string]: unknown;
}

export interface DiffAnswer {
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export interface DynamicHost {
  check(olds: Props, news: Props): Promise<Props>;
  diff(id: string, olds: Props, news: Props): Promise<DiffAnswer>;
  create(properties: Props): Promise<{ id: string; properties: Props }>;
  update(id: string, olds: Props, news: Props): Promise<Props>;
  read(id: string, properties: Props, inputs: Props): Promise<{ id: string; properties: Props }>;
  delete(id: string, properties: Props): Promise<void>;
  /** What the provider printed on stderr (its warnings reach the CLI this way), once it matches. */
  stderrMatching(pattern: RegExp): Promise<string>;
  stop(): void;
}

const URN = "urn:pulumi:test::swarmlab::pulumi-nodejs:dynamic:Resource::step";

function struct(value: Props): unknown {
  return structproto.Struct.fromJavaScript(value);
}

/** Starts the host and configures it, as the engine does before any resource call. */
export async function startDynamicHost(): Promise<DynamicHost> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(SDK, "cmd/dynamic-provider/index.js"), "127.0.0.1:1"],
    // The engine starts plugins in the project folder; `require("ssh2")` in the provider resolves there.
    { stdio: ["ignore", "pipe", "pipe"], cwd: process.cwd() },
  );
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve(Number(line));
    });
    child.on("exit", (code) =>
      reject(new Error(`dynamic provider host exited ${code}: ${errors}`)),
    );
  });
  const client = new provrpc.ResourceProviderClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) =>
      client[method](request, (error: Error | null, response: T) =>
        error ? reject(error) : resolve(response),
      ),
    );
  const request = (type: string, fields: Record<string, unknown>): Message => {
    const message = new provproto[type]() as Message;
    for (const [setter, value] of Object.entries(fields)) {
      (message[setter] as (v: unknown) => void).call(message, value);
    }
    return message;
  };
  type StructMessage = { toJavaScript(): Props };
  const props = (message: StructMessage | undefined): Props => message?.toJavaScript() ?? {};

  await call("configure", request("ConfigureRequest", { setArgs: struct({}) }));
  return {
    async check(olds, news) {
      const response = await call<{ getInputs(): StructMessage }>(
        "check",
        request("CheckRequest", { setUrn: URN, setOlds: struct(olds), setNews: struct(news) }),
      );
      return props(response.getInputs());
    },
    async diff(id, olds, news) {
      const response = await call<{
        getChanges(): number;
        getReplacesList(): string[];
        getDeletebeforereplace(): boolean;
      }>(
        "diff",
        request("DiffRequest", {
          setId: id,
          setUrn: URN,
          setOlds: struct(olds),
          setNews: struct(news),
        }),
      );
      const kinds = provproto.DiffResponse.DiffChanges;
      const changes = response.getChanges();
      return {
        changes:
          changes === kinds.DIFF_NONE ? "none" : changes === kinds.DIFF_SOME ? "some" : "unknown",
        replaces: response.getReplacesList(),
        deleteBeforeReplace: response.getDeletebeforereplace(),
      };
    },
    async create(properties) {
      const response = await call<{ getId(): string; getProperties(): StructMessage }>(
        "create",
        request("CreateRequest", { setUrn: URN, setProperties: struct(properties) }),
      );
      return { id: response.getId(), properties: props(response.getProperties()) };
    },
    async update(id, olds, news) {
      const response = await call<{ getProperties(): StructMessage }>(
        "update",
        request("UpdateRequest", {
          setId: id,
          setUrn: URN,
          setOlds: struct(olds),
          setNews: struct(news),
        }),
      );
      return props(response.getProperties());
    },
    async read(id, properties, inputs) {
      const response = await call<{ getId(): string; getProperties(): StructMessage }>(
        "read",
        request("ReadRequest", {
          setId: id,
          setUrn: URN,
          setProperties: struct(properties),
          setInputs: struct(inputs),
        }),
      );
      return { id: response.getId(), properties: props(response.getProperties()) };
    },
    async delete(id, properties) {
      await call(
        "delete",
        request("DeleteRequest", { setId: id, setUrn: URN, setProperties: struct(properties) }),
      );
    },
    // A pipe delivers the child's stderr after its gRPC answer: wait a little for it.
    async stderrMatching(pattern) {
      const deadline = Date.now() + 5000;
      while (!pattern.test(errors) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return errors;
    },
    stop() {
      client.close();
      child.kill();
    },
  };
}
