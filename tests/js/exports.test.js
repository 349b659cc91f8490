// Every module under pwa/js/domain/ documents each of its exports in its header comment (the screens and
// the sync client import them), imports only sibling domain modules (no dependencies, no build step),
// and loads in Node as a plain ES module.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const DOMAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "pwa", "js", "domain");
const files = readdirSync(DOMAIN).filter((f) => f.endsWith(".js")).sort();

test("the domain modules are all there", () => {
  for (const name of ["schedule.js", "loans.js", "money.js", "dates.js", "terbilang.js", "mutations.js", "outbox_rules.js", "ledger.js"]) {
    assert.ok(files.includes(name), name);
  }
});

for (const file of files) {
  test(`${file} documents its exports and imports only domain siblings`, async () => {
    const source = readFileSync(join(DOMAIN, file), "utf8");
    const header = /^\/\*\*[\s\S]*?\*\//.exec(source);
    assert.ok(header, "a /** header */ first");
    const mod = await import(pathToFileURL(join(DOMAIN, file)).href);
    const names = Object.keys(mod);
    assert.ok(names.length > 0);
    for (const name of names) assert.match(header[0], new RegExp(`\\b${name}\\b`), `${name} is not in the header`);
    for (const [, spec] of source.matchAll(/^import[^'"]*["']([^"']+)["']/gm)) {
      assert.match(spec, /^\.\/[a-z_]+\.js$/, `${file} imports ${spec}`);
    }
  });
}
