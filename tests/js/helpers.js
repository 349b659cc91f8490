// Shared helpers of the Node tests: read a vector file from tests/vectors/.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Node 18 (Debian 12's nodejs) has Web Crypto only as node:crypto's webcrypto; browsers and Node 20+
// have it as globalThis.crypto, which the domain modules use.
if (!globalThis.crypto?.subtle) {
  globalThis.crypto = (await import("node:crypto")).webcrypto;
}

const here = dirname(fileURLToPath(import.meta.url));
export const VECTORS = join(here, "..", "vectors");

export function vectors(name) {
  return JSON.parse(readFileSync(join(VECTORS, name), "utf8"));
}
