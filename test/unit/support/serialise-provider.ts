/**
 * Prints a dynamic provider's `__provider` text, made by the SDK's closure serializer
 * (pulumi.runtime.serializeFunction, what pulumi.dynamic.Resource calls) in a plain Node process.
 * Run as a child (`node -r ts-node/register/transpile-only`), not inside jest: jest's sandbox
 * hands the module its own `console`, which the serializer would capture by value, so the
 * provider's warnings would vanish in the host. Usage: serialise-provider.ts <module> <export>
 */
import * as pulumi from "@pulumi/pulumi";

async function main(modulePath: string, exportName: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const provider = (require(modulePath) as Record<string, object>)[exportName];
  if (!provider) throw new Error(`${modulePath} exports no ${exportName}`);
  const closure = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  process.stdout.write(closure.text);
}

main(process.argv[2], process.argv[3]).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
