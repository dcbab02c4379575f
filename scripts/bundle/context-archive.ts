/**
 * A docker context in the docker CLI's own export format, so a student needs only
 * `docker context import NAME FILE`. The format, read from docker/cli cli/context/store/store.go
 * (Export and importTar): a tar with `meta.json` (the context's metadata; import replaces its
 * Name with the NAME given) at the top, and each endpoint's TLS files under
 * `tls/<endpoint>/{ca.pem,cert.pem,key.pem}`. (The sha256-named folders are the CLI's on-disk
 * store, which import fills; they are not in the archive.) Import reads regular files only and
 * refuses any other top-level name.
 *
 * tar-stream writes the archive: a small, widely used tar writer that works from memory, so no
 * key is staged on disk to build it and no tar header is hand-written here.
 */
import { pack } from "tar-stream";

export interface ContextArchiveArgs {
  description: string;
  /** tcp://<manager-0>:2376 */
  host: string;
  caCertificate: string;
  clientCertificate: string;
  clientKey: string;
}

/** The docker endpoint is the only one a context has since the CLI dropped Kubernetes. */
const ENDPOINT = "docker";

/** The `meta.json` of the archive. Pure. */
export function contextMetadata(name: string, args: ContextArchiveArgs): string {
  return JSON.stringify({
    Name: name,
    Metadata: { Description: args.description },
    Endpoints: { [ENDPOINT]: { Host: args.host, SkipTLSVerify: false } },
  });
}

export function contextArchive(name: string, args: ContextArchiveArgs): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    tar.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
    tar.on("end", () => resolve(Buffer.concat(chunks)));
    tar.on("error", reject);
  });
  // A fixed mtime: the same outputs give the same archive byte for byte.
  const mtime = new Date(0);
  tar.entry({ name: "meta.json", mode: 0o644, mtime }, contextMetadata(name, args));
  tar.entry({ name: "tls", type: "directory", mode: 0o700, mtime });
  tar.entry({ name: `tls/${ENDPOINT}`, type: "directory", mode: 0o700, mtime });
  const files: [string, string][] = [
    ["ca.pem", args.caCertificate],
    ["cert.pem", args.clientCertificate],
    ["key.pem", args.clientKey],
  ];
  for (const [file, content] of files) {
    tar.entry({ name: `tls/${ENDPOINT}/${file}`, mode: 0o600, mtime }, content);
  }
  tar.finalize();
  return done;
}
