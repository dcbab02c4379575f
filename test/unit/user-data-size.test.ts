/**
 * Headroom under Nova's user_data limit (65,535 bytes once base64-encoded): at most half of it
 * for every configuration, the largest included (each storage driver with a volume, each Docker
 * source, the longest names, a 2 KB daemonConfig). Half leaves room for the scripts to grow
 * and for a teacher's daemonConfig: past the limit every `pulumi up` is refused.
 */
import { renderUserData } from "../../infra/nodes/cloudinit";
import { LARGEST_SETTINGS, SETTINGS_MATRIX } from "./node-settings.fixture";

const NOVA_LIMIT_BASE64 = 65_535;
const BUDGET_BASE64 = NOVA_LIMIT_BASE64 / 2;

/** What Nova counts: the length of the user-data in base64. */
function base64Length(text: string): number {
  return Buffer.from(text, "utf8").toString("base64").length;
}

describe("user-data size", () => {
  it("the largest configuration takes a 2 KB daemonConfig", () => {
    const [, settings] = LARGEST_SETTINGS[0];
    const bytes = Buffer.byteLength(JSON.stringify(settings.daemonConfig));
    expect(bytes).toBeGreaterThanOrEqual(2000);
    expect(bytes).toBeLessThan(2600);
  });

  it.each([...SETTINGS_MATRIX, ...LARGEST_SETTINGS])(
    "%s: at most 50 %% of nova's limit once base64-encoded",
    (_title, settings) => {
      expect(base64Length(renderUserData(settings))).toBeLessThanOrEqual(BUDGET_BASE64);
    },
  );
});
