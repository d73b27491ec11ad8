// Reads a Novu API with Novu's own published SDK (@novu/api), which validates every answer with
// Novu's zod schemas. Usage: node sdk_read.cjs <serverURL> <secretKey> <pageSize>
// Prints one JSON line {pages: [...], environments: [...]} on success; on a validation failure prints
// the SDK's own pretty() report to stderr and exits 1.
const { Novu } = require("@novu/api");

async function main() {
  const [serverURL, secretKey, pageSize] = process.argv.slice(2);
  const novu = new Novu({ secretKey, serverURL });
  const limit = Number(pageSize);
  const pages = [];
  for (let offset = 0; ; offset += limit) {
    const page = await novu.workflows.list({ limit, offset });
    pages.push(page.result);
    if (page.result.workflows.length < limit) break;
  }
  const environments = await novu.environments.list();
  process.stdout.write(`${JSON.stringify({ pages, environments: environments.result })}\n`);
}

main().catch((error) => {
  const report = typeof error.pretty === "function" ? error.pretty() : String(error.stack || error);
  process.stderr.write(`${error.name}: ${report}\n`);
  process.exit(1);
});
