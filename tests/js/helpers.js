// Shared helpers of the Node tests: read a vector file from tests/vectors/.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const VECTORS = join(here, "..", "vectors");

export function vectors(name) {
  return JSON.parse(readFileSync(join(VECTORS, name), "utf8"));
}
