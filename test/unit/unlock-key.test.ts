import { autolockScript, parseUnlockKey } from "../../infra/swarm/remote-scripts";

describe("autolock", () => {
  it("runs the autolock template after lib.sh, as bash -s", () => {
    const script = autolockScript();
    expect(script.command).toBe("bash -s --");
    expect(script.stdin).toContain("docker swarm update --autolock=true");
  });

  it("reads the key from the last line", () => {
    expect(parseUnlockKey("noise\nSWMKEY-1-abc+/=\n")).toBe("SWMKEY-1-abc+/=");
  });

  it("refuses anything else without quoting it", () => {
    expect(() => parseUnlockKey("SWMKEY-2-secretish")).toThrow(
      "swarm autolock did not print an unlock key (SWMKEY-1-...); see its stderr",
    );
  });
});
