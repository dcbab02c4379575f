/**
 * The table of what each OpenStack argument does on change (infra/config/openstack-schema.ts) is
 * read from the provider's schema at one version. These tests fail when the pinned package moves
 * without the table being read again, and when the table names an argument the package's own
 * input types do not have.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { OPENSTACK_ARGUMENTS, OPENSTACK_PROVIDER } from "../../infra/config/openstack-schema";

const ROOT = path.join(__dirname, "..", "..");
const json = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));

describe("the OpenStack argument table", () => {
  it("was read at the @pulumi/openstack version package.json and package-lock.json pin", () => {
    // Moving the pin? Read the new provider's schema (its terraform-provider-openstack tag,
    // openstack/resource_openstack_*.go), update the table, then OPENSTACK_PROVIDER.version.
    expect(json("package.json").dependencies[OPENSTACK_PROVIDER.npm]).toBe(
      OPENSTACK_PROVIDER.version,
    );
    const lock = json("package-lock.json").packages[`node_modules/${OPENSTACK_PROVIDER.npm}`];
    expect(lock.version).toBe(OPENSTACK_PROVIDER.version);
    const installed = json(`node_modules/${OPENSTACK_PROVIDER.npm}/package.json`);
    // The package writes its own version with a leading "v".
    expect(installed.version.replace(/^v/, "")).toBe(OPENSTACK_PROVIDER.version);
  });

  it.each(Object.entries(OPENSTACK_ARGUMENTS))(
    "%s: every argument listed is one the package knows",
    (type, table) => {
      // "openstack:compute/instance:Instance" -> compute/instance.d.ts
      const [, module] = type.split(":");
      const declaration = fs.readFileSync(
        path.join(ROOT, "node_modules", OPENSTACK_PROVIDER.npm, `${module}.d.ts`),
        "utf8",
      );
      for (const argument of Object.keys(table)) {
        expect([argument, new RegExp(`readonly ${argument}[?]?:`).test(declaration)]).toEqual([
          argument,
          true,
        ]);
      }
    },
  );
});
