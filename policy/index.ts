/**
 * The class policy pack that every CI preview and `pulumi up` runs:
 *   pulumi preview --policy-pack policy --policy-pack-config policy/config.json
 * The rules and their defaults are in rules.ts; the teacher's settings in config.json.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("swarmlab-class", { policies });
