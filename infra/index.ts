/**
 * swarmlab: one student's Docker Swarm on OpenStack. Reads and validates the stack config (nothing
 * is created when it is wrong), builds the cluster, and exports what teacher and student need.
 */
import * as pulumi from "@pulumi/pulumi";
import { SwarmCluster } from "./cluster";
import { readLabConfig } from "./config";
import { sshCommandLine } from "./ssh-command";

const config = readLabConfig();
const cluster = new SwarmCluster(config.owner, config);

export const owner = config.owner;
export const managerPublicIp = cluster.managerPublicIp;
export const nodes = cluster.nodes;
export const swarm = cluster.swarm;
export const overlayMtu = cluster.overlayMtu;
export const sshUser = cluster.sshUser;
export const sshPrivateKey = cluster.sshPrivateKey;
/** Only with `swarmlab:autolock`: `docker swarm unlock` asks for it after a manager restarts. */
export const swarmUnlockKey = cluster.unlockKey;
export const sshCommand = cluster.managerPublicIp.apply((ip) =>
  sshCommandLine({ stack: pulumi.getStack(), sshUser: config.sshUser, host: ip }),
);
