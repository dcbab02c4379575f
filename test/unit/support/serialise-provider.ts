/**
 * Prints dynamic providers' `__provider` texts, made by the SDK's closure serializer
 * (pulumi.runtime.serializeFunction, what pulumi.dynamic.Resource calls) in a plain Node process,
 * as a JSON array in the order asked. Run as a child (`node -r ts-node/register/transpile-only`),
 * not inside jest: jest's sandbox hands the module its own `console`, which the serializer would
 * capture by value, so the provider's warnings would vanish in the host. Several providers in
 * one process: each process loads the SDK and the TypeScript compiler anew (about 1.5 s of CPU),
 * and each provider is serialised on its own, as each pulumi.dynamic.Resource does.
 * Usage: serialise-provider.ts <module> <export> [<module> <export> ...]
 */
import * as pulumi from "@pulumi/pulumi";

async function serialise(modulePath: string, exportName: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const provider = (require(modulePath) as Record<string, object>)[exportName];
  if (!provider) throw new Error(`${modulePath} exports no ${exportName}`);
  const closure = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return closure.text;
}

async function main(args: string[]): Promise<void> {
  const texts: string[] = [];
  for (let i = 0; i + 1 < args.length; i += 2) texts.push(await serialise(args[i], args[i + 1]));
  process.stdout.write(JSON.stringify(texts));
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
