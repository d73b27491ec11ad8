// Example Novu Framework bridge: an express app serving the workflows of
// workflows.mjs at /api/novu. See README.md for the environment variables.
import express from 'express';
import { serve } from '@novu/framework/express';

import { allWorkflows } from './workflows.mjs';

const BRIDGE_PATH = '/api/novu';

/**
 * The workflows named by BRIDGE_WORKFLOWS: unset or empty = all, `none` = no
 * workflow at all, otherwise a comma-separated list of workflow ids.
 */
function selectWorkflows(selection) {
  const trimmed = (selection ?? '').trim();
  if (trimmed === '') {
    return allWorkflows;
  }
  if (trimmed === 'none') {
    return [];
  }
  const requestedIds = trimmed.split(',').map((id) => id.trim()).filter((id) => id !== '');
  const knownIds = allWorkflows.map((wf) => wf.id);
  const unknownIds = requestedIds.filter((id) => !knownIds.includes(id));
  if (unknownIds.length > 0) {
    throw new Error(
      `BRIDGE_WORKFLOWS names unknown workflow id(s): ${unknownIds.join(', ')}. ` +
        `Use a comma-separated list of ${knownIds.join(', ')}, or "none", or leave it unset for all.`
    );
  }
  return allWorkflows.filter((wf) => requestedIds.includes(wf.id));
}

// Fail with one readable line rather than a stack trace through minified code;
// serve() itself throws when NOVU_SECRET_KEY is not set.
let novuHandler;
try {
  novuHandler = serve({ workflows: selectWorkflows(process.env.BRIDGE_WORKFLOWS) });
} catch (error) {
  console.error(`bridge: cannot start: ${error.message}`);
  process.exit(1);
}

const host = process.env.HOST || '127.0.0.1';
const port = Number.parseInt(process.env.PORT || '4000', 10);

const app = express();
app.use(express.json());
app.use(BRIDGE_PATH, novuHandler);

const server = app.listen(port, host, (error) => {
  if (error) {
    console.error(`bridge: cannot listen on ${host}:${port}: ${error.message}`);
    process.exit(1);
  }
  // PORT=0 lets the OS choose; print the port actually bound.
  console.log(`bridge listening on http://${host}:${server.address().port}${BRIDGE_PATH}`);
});

function shutDown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
